import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskView } from '../../src/shared/kiosk-api';
import { startSimKioskProcess, type KioskProcess } from '../support/kiosk-process';

// `civicard kiosk --sim` as the UI will use it: the typed API over loopback HTTP,
// with the session token from DIR/api-token; the simulated devices on their own port.

const CLI = join(process.cwd(), 'bin/civicard.js');
const dir = mkdtempSync(join(tmpdir(), 'civicard-kiosk-sim-'));
let kiosk: KioskProcess | undefined;
let url = '';
let simUrl = '';
let token = '';
let stdout = '';

async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function api(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  if (body !== undefined) return post(url, path, body);
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const sim = (path: string, body: unknown) => post(simUrl, path, body);

async function until(screen: RegExp, timeout_ms = 15_000): Promise<KioskView> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const view = (await api('/api/state')).json as unknown as KioskView;
    if (screen.test(view.screen)) return view;
    if (Date.now() > deadline) throw new Error(`kiosk stayed at ${view.screen}, expected ${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  kiosk = await startSimKioskProcess(dir);
  ({ url, simUrl, token, startup: stdout } = kiosk);
}, 60_000);

afterAll(async () => {
  await kiosk?.stop();
});

describe('civicard kiosk --sim', () => {
  it('keeps its session token in DIR/api-token, readable by its owner only, and never prints it', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);
    expect(stdout).toContain(join(dir, 'api-token'));
    expect(stdout).not.toContain(token);
  });

  it('answers nothing without the token, and no simulator route on the API port', async () => {
    expect((await fetch(`${url}/api/state`)).status).toBe(401);
    expect((await api('/sim/card/present', { card: 'A' })).status).toBe(404);
    expect(simUrl).not.toBe(url);
  });

  it('sells the bundled simulators by default: the ILS simulator over SIP2, the tariff and citation fixtures', () => {
    expect(stdout).toMatch(/selling library fines \(ILS simulator, SIP2 on 127\.0\.0\.1:\d+\), parking \(.*chicago-downtown\.json\), citations \(.*downtown\.json\)/);
  });

  it('pays the fines of a fixture library card through the ILS simulator (SIP2 patron information, then Fee Paid)', async () => {
    expect((await sim('/sim/card/present', { card: 'L' })).status).toBe(200);
    await until(/^session\.balanceShown$/);
    await api('/api/command', { type: 'CONTINUE' });
    await api('/api/command', { type: 'SELECT_SERVICE', kind: 'library_fine', reference: '29000000000001' });
    const confirming = await until(/^session\.confirming$/);
    expect(confirming.quote).toMatchObject({ kind: 'library_fine', amount_minor: 350 + 175 }); // the fixture's two fines, as the koha profile totals them
    await api('/api/command', { type: 'CONFIRM' });
    expect((await until(/^payment\.done$/)).payment?.stage).toBe('settled');
    await sim('/sim/card/withdraw', {});
    await api('/api/command', { type: 'FINISH' });
    await until(/^idle$/);
  });

  it('takes a payment driven only through the typed API, and the ledger verifies afterwards', async () => {
    expect((await api('/api/state')).json.screen).toBe('idle');
    expect((await sim('/sim/card/present', { card: 'A' })).status).toBe(200);
    const shown = await until(/^session\.balanceShown$/);
    expect(shown.card?.balance_minor).toBe(2_000);
    expect(JSON.stringify(shown)).not.toMatch(/card_ref|uid/i);
    await api('/api/command', { type: 'SET_LANGUAGE', language: 'es' });
    await api('/api/command', { type: 'CONTINUE' });
    await api('/api/command', { type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123051' });
    const confirming = await until(/^session\.confirming$/);
    expect(confirming.quote).toMatchObject({ kind: 'citation', amount_minor: 1_250 });
    await api('/api/command', { type: 'CONFIRM' });
    const done = await until(/^payment\.done$/);
    expect(done.payment?.stage).toBe('settled');
    expect(done.language).toBe('es');
    await sim('/sim/card/withdraw', {});
    await api('/api/command', { type: 'FINISH' });
    await until(/^idle$/);
  });

  it('answers garbage with a clear 400 and moves nothing', async () => {
    expect(await api('/api/command', 'not json')).toEqual({ status: 400, json: { error: 'request body is not JSON' } });
    expect((await api('/api/command', { type: 'DEBIT_EVERYTHING' })).json.error).toMatch(/unknown command/);
    expect((await api('/api/command', { type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'x\u0000y' })).status).toBe(400);
    expect((await api('/api/command', 'x'.repeat(10_000))).status).toBe(413);
    expect((await sim('/sim/printer/paper', { paper: 'wet' })).status).toBe(400);
    expect((await api('/api/state')).json.screen).toBe('idle');
  });

  it('leaves a ledger that civicard ledger verify accepts against the kiosk key', async () => {
    // the public half of the kiosk key, as the back office would hold it after enrollment
    const pub = join(dir, 'kiosk.pub');
    writeFileSync(pub, createPublicKey(readFileSync(join(dir, 'kiosk-key.pem'))).export({ type: 'spki', format: 'pem' }));
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'ledger', 'verify', '--db', join(dir, 'kiosk.db'), '--public-key', pub]);
    expect(stdout).toMatch(/^ledger VERIFIED: 8 entries/); // two payments: intent, committed, service post, service answer
  });
});
