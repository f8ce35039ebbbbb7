import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { startKioskApiServer } from '../../../src/kiosk/api/http';
import { startSimKiosk } from '../../../src/kiosk/demo/sim-kiosk';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import type { KioskView } from '../../../src/shared/kiosk-api';
import type { SpeakRequest } from '../../../src/shared/speech-api';
import { staticSite } from '../../../src/webshell/static-site';
import { rendererCsp, startWebShell, type WebShell } from '../../../src/webshell/web-shell';
import { authorized, call, JSON_TYPE } from '../kiosk-api/support';

// The web shell on a simulated kiosk (in-memory reader): the renderer's pages
// on the API's listener without the token, and nothing else without it; the
// panel and the simulator only on the simulator's listener; the speech,
// attendant and maintenance routes checked like the resident's.

const SECRET = 'SECRET-OUTSIDE-THE-SITE';
let base = '';
let site = '';
let shell: WebShell;
const spoken: SpeakRequest[] = [];

/** A raw request whose path is sent exactly as written (fetch would resolve the dots). */
function raw(url: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, headers: { host: `127.0.0.1:${port}` }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The code a scan button of the served panel sends. */
async function panelCode(testid: string): Promise<string> {
  const html = await (await fetch(`${shell.sim_url}/`)).text();
  const button = new RegExp(`<button[^>]*data-code="([^"]+)"[^>]*data-testid="${testid}"`).exec(html);
  if (!button) throw new Error(`the panel has no scan button ${testid}`);
  return button[1]!;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'civicard-webshell-unit-'));
  site = join(base, 'dist');
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>kiosk</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(site, 'assets', 'app.js'), 'console.log("kiosk")');
  writeFileSync(join(base, 'secret.txt'), SECRET);
  symlinkSync(join(base, 'secret.txt'), join(site, 'assets', 'link.txt'));
  shell = await startWebShell({
    dir: join(base, 'kiosk'),
    pcscd: false,
    port: 0,
    sim_port: 0,
    renderer_root: site,
    speaker: {
      say: async (r) => {
        if (r.text === 'fail') throw new Error('espeak-ng is not installed: install espeak-ng (bash scripts/setup.sh)');
        spoken.push(r);
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await shell?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe('the renderer on the API listener', () => {
  it('serves index.html at / without the token, with the strict CSP framed only by the simulator panel', async () => {
    const a = await fetch(`${shell.api_url}/`);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await a.text()).toContain('<title>kiosk</title>');
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toBe(rendererCsp(shell.sim_url));
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain(`frame-ancestors ${shell.sim_url}`);
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets with their type', async () => {
    const a = await fetch(`${shell.api_url}/assets/app.js`);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('refuses every way out of the folder: dots, encoded dots and slashes, backslashes, NUL, a symlink outside', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/index.html%00.js', '/assets/link.txt', '/assets/', '/%E0%A4%A']) {
      const a = await raw(shell.api_url, path);
      expect(a.status, path).toBe(404);
      expect(a.text, path).not.toContain(SECRET);
    }
  });

  it('still checks the Host of a page request (DNS rebinding)', async () => {
    const a = await call(shell.api_url, '/', { headers: { host: 'evil.example:80' } });
    expect(a.status).toBe(403);
  });

  it('keeps every /api route behind the token', async () => {
    for (const path of ['/api/state', '/api/events', '/api/maintenance', '/api/attendant/state', '/api/attendant/events', '/api/nope']) {
      expect((await call(shell.api_url, path)).status, path).toBe(401);
    }
    for (const path of ['/api/command', '/api/speak', '/api/attendant/command']) {
      expect((await call(shell.api_url, path, { headers: JSON_TYPE, body: '{}' })).status, path).toBe(401);
    }
  });

  it('answers 503 naming the build when the renderer is not built', async () => {
    const route = staticSite({ root: join(base, 'not-built'), index: 'index.html', csp: () => rendererCsp(null), missing: 'the kiosk UI is not built: run npm run build:renderer' });
    const kiosk = { actor: shell.kiosk.actor, language: 'en' as const };
    const api = await startKioskApiServer(kiosk as never, { port: 0, pages: () => route });
    try {
      const a = await call(api.url, '/');
      expect(a.status).toBe(503);
      expect(a.json.error).toMatch(/npm run build:renderer/);
    } finally {
      await api.close();
    }
  });
});

describe('the simulated-devices panel', () => {
  it('is served on the simulator listener, with the kiosk origin as its only frame source', async () => {
    const a = await fetch(`${shell.sim_url}/`);
    expect(a.status).toBe(200);
    const page = await a.text();
    expect(page).toContain('data-testid="sim-tap-A"');
    expect(page).toContain('data-testid="sim-tear-at-commit"');
    expect(a.headers.get('content-security-policy')).toContain(`frame-src ${shell.api_url};`);
    expect((await fetch(`${shell.sim_url}/panel.js`)).status).toBe(200);
  });

  it('is not on the API listener, nor are the simulator routes', async () => {
    expect((await fetch(`${shell.api_url}/panel.js`)).status).toBe(404);
    expect((await call(shell.api_url, '/sim/status', { headers: authorized(shell.token) })).status).toBe(404);
    expect((await call(shell.api_url, '/sim/card/present', { headers: authorized(shell.token, JSON_TYPE), body: '{"card":"A"}' })).status).toBe(404);
  });

  it('does not exist on a kiosk API without the simulator', async () => {
    const dir = join(base, 'plain');
    const kiosk = await startSimKiosk({ dir, pcscd: false });
    const api = await startKioskApiServer(kiosk, { port: 0, pages: () => staticSite({ root: site, index: 'index.html', csp: () => rendererCsp(null), missing: 'not built' }) });
    try {
      expect(api.sim_url).toBeNull();
      expect((await fetch(`${api.url}/panel.js`)).status).toBe(404);
      const page = await fetch(`${api.url}/`);
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect((await call(api.url, '/sim/status', { headers: authorized(api.token) })).status).toBe(404);
    } finally {
      await api.close();
      await kiosk.stop();
    }
  }, 30_000);

  it('tells where the kiosk is, and keeps its routes behind the token', async () => {
    expect((await call(shell.sim_url, '/sim/status')).status).toBe(401);
    const a = await call(shell.sim_url, '/sim/status', { headers: authorized(shell.token) });
    expect(a.json).toMatchObject({ api_url: shell.api_url, booth: true, cards: 'in-memory', presented: { kiosk: null, booth: null } });
  });

  it('scans a barcode as the kiosk scanner would, refusing one it cannot take now or at all', async () => {
    const sim = (path: string, body: unknown) => call(shell.sim_url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
    const citation = await panelCode('sim-scan-citation');
    expect((await sim('/sim/scan', { code: citation })).json).toMatchObject({ refusal: 'not_now' });
    expect((await sim('/sim/scan', {})).status).toBe(400);
    expect((await sim('/sim/card/present', { card: 'A' })).status).toBe(200);
    expect((await sim('/sim/card/present', { card: 'B' })).status).toBe(409);
    await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
    expect((await sim('/sim/scan', { code: await panelCode('sim-scan-unknown') })).json).toMatchObject({ refusal: 'not_a_known_barcode' });
    expect((await sim('/sim/scan', { code: '1234567898' })).json).toMatchObject({ refusal: 'bad_check_digit' });
    expect((await sim('/sim/scan', { code: citation })).status).toBe(200);
    await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'confirming' }), { timeout: 10_000 });
    expect((await call(shell.api_url, '/api/state', { headers: authorized(shell.token) })).json.quote).toMatchObject({ kind: 'citation', amount_minor: 1_250 });
    await call(shell.api_url, '/api/command', { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify({ type: 'CANCEL' }) });
    expect((await sim('/sim/card/withdraw', {})).status).toBe(200);
    expect((await sim('/sim/card/withdraw', {})).status).toBe(409);
  }, 30_000);

  it("the panel's library card button scans a fixture patron: the ILS simulator quotes their fines", async () => {
    const sim = (path: string, body: unknown) => call(shell.sim_url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
    await waitFor(shell.kiosk.actor, (s) => s.matches('idle'), { timeout: 10_000 });
    expect((await sim('/sim/card/present', { card: 'A' })).status).toBe(200);
    await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
    expect((await sim('/sim/scan', { code: await panelCode('sim-scan-library-card') })).status).toBe(200);
    await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'confirming' }), { timeout: 10_000 });
    expect((await call(shell.api_url, '/api/state', { headers: authorized(shell.token) })).json.quote).toMatchObject({ kind: 'library_fine', amount_minor: 525 });
    expect((await sim('/sim/card/withdraw', {})).status).toBe(200);
  }, 30_000);

  it('tears the presented card at its next commit: the payment is uncertain, the same card settles it with exactly one debit', async () => {
    const sim = (path: string, body: unknown) => call(shell.sim_url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
    const command = (body: unknown) => call(shell.api_url, '/api/command', { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
    expect((await call(shell.api_url, '/sim/card/tear-at-commit', { headers: authorized(shell.token, JSON_TYPE), body: '{}' })).status).toBe(404);
    const actor = shell.kiosk.actor;
    if (!actor.getSnapshot().matches('idle')) await command({ type: 'CANCEL' });
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 10_000 });

    expect((await sim('/sim/card/present', { card: 'TORN' })).status).toBe(200);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
    expect((await sim('/sim/card/tear-at-commit', {})).json).toEqual({ armed: true }); // armed after the tap: the panel's order
    await command({ type: 'CONTINUE' });
    expect((await command({ type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123051' })).status).toBe(200); // a $12.50 citation from the bundled file; the card holds $20.00
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 10_000 });
    await command({ type: 'CONFIRM' });
    await waitFor(actor, (s) => s.matches({ payment: { uncertain: 'waitingForSameCard' } }), { timeout: 10_000 });
    const tx_id = (actor.getSnapshot().context as { payment: { tx: { tx_id: string } } }).payment.tx.tx_id;

    expect((await sim('/sim/card/withdraw', {})).status).toBe(200);
    expect((await sim('/sim/card/present', { card: 'TORN' })).status).toBe(200);
    await waitFor(actor, (s) => s.matches({ payment: 'done' }), { timeout: 10_000 });
    const debits = shell.kiosk.ledger.db.prepare("SELECT amount_minor FROM money WHERE tx_id = ? AND direction = 'debit'").all(tx_id);
    expect(debits).toHaveLength(1);
    await command({ type: 'FINISH' });
    expect((await sim('/sim/card/withdraw', {})).status).toBe(200);
  }, 30_000);
});

describe('spoken guidance, attendant booth and maintenance routes', () => {
  const post = (path: string, body: unknown) => call(shell.api_url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });

  it('says a checked sentence, and refuses a bad one with the reason', async () => {
    expect((await post('/api/speak', { text: 'Tap your card', language: 'en' })).status).toBe(200);
    expect(spoken).toEqual([{ text: 'Tap your card', language: 'en' }]);
    const bad = await post('/api/speak', { text: 'x\u0007', language: 'en' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/control characters/);
    expect((await post('/api/speak', { text: 'hi', language: 'fr' })).json.error).toMatch(/"language" must be one of/);
    const broken = await post('/api/speak', { text: 'fail', language: 'en' });
    expect(broken.status).toBe(503);
    expect(broken.json.error).toMatch(/install espeak-ng/);
  });

  it('says spoken guidance is off when the shell has no speaker', async () => {
    const route = (await import('../../../src/kiosk/api/speak-route')).speakRoute(null);
    const kiosk = { actor: shell.kiosk.actor, language: 'en' as const };
    const api = await startKioskApiServer(kiosk as never, { port: 0, more: { 'POST /api/speak': route } });
    try {
      const a = await call(api.url, '/api/speak', { headers: authorized(api.token, JSON_TYPE), body: JSON.stringify({ text: 'Hello', language: 'en' }) });
      expect(a.status).toBe(409);
      expect(a.json.error).toMatch(/switched off/);
    } finally {
      await api.close();
    }
  });

  it('runs the attendant booth: staff card on the booth reader, PIN, signed in; a bad PIN is refused and never echoed', async () => {
    const state = await call(shell.api_url, '/api/attendant/state', { headers: authorized(shell.token) });
    expect(state.json.screen).toBe('signedOut.waitingForStaffCard');
    expect((await post('/api/attendant/command', { type: 'NOPE' })).status).toBe(400);
    const bad = await post('/api/attendant/command', { type: 'PIN_ENTERED', pin: '12ab99' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).not.toContain('12ab99');
    const tap = await call(shell.sim_url, '/sim/card/present', { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify({ card: 'staff', at: 'booth' }) });
    expect(tap.status).toBe(200);
    await waitFor(shell.attendant!.actor, (s) => s.matches({ signedOut: 'enteringPin' }), { timeout: 10_000 });
    await call(shell.sim_url, '/sim/card/withdraw', { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify({ at: 'booth' }) });
    await post('/api/attendant/command', { type: 'PIN_ENTERED', pin: '2468' });
    await waitFor(shell.attendant!.actor, (s) => s.matches('signedIn'), { timeout: 10_000 });
    const after = await call(shell.api_url, '/api/attendant/state', { headers: authorized(shell.token) });
    expect(after.json.staff).toMatchObject({ role: 'attendant' });
    expect(JSON.stringify(after.json)).not.toContain('2468');
  }, 30_000);

  it('shows the maintenance view of the real kiosk: limits from the risk policy, outbox counts, versions, devices', async () => {
    const a = await call(shell.api_url, '/api/maintenance', { headers: authorized(shell.token) });
    expect(a.status).toBe(200);
    const pending = shell.kiosk.ledger.pendingOutbox(100_000);
    expect(a.json).toMatchObject({
      limits: { offline_tx_max_minor: DEFAULT_RISK_POLICY.offline_tx_max_minor, unsynced_cap_minor: DEFAULT_RISK_POLICY.unsynced_cap_minor },
      sync: { unsynced_entries: pending.length, unsynced_debits_minor: shell.kiosk.ledger.unsyncedTotalMinor('debit') },
      versions: { app: expect.any(String), ledger_schema: expect.any(Number) },
      self_test: { ok: true },
    });
    expect((a.json.devices as { name: string }[]).map((d) => d.name)).toEqual(['card_reader', 'printer', 'scanner', 'network']);
    expect((await post('/api/maintenance', {})).status).toBe(404);
  });

  it('a staff card on the kiosk reader opens the maintenance screen: its figures in the view, its commands checked, no money moved', async () => {
    const sim = (path: string, body: unknown) => call(shell.sim_url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
    const state = async () => (await call(shell.api_url, '/api/state', { headers: authorized(shell.token) })).json as unknown as KioskView;
    const actor = shell.kiosk.actor;
    if (!actor.getSnapshot().matches('idle')) await post('/api/command', { type: 'CANCEL' });
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 10_000 });
    expect((await post('/api/command', { type: 'EXIT_MAINTENANCE' })).status).toBe(409); // not open: nothing to leave
    const money = () => shell.kiosk.ledger.db.prepare('SELECT COUNT(*) AS n FROM money').get();
    const before = money();

    expect((await sim('/sim/card/present', { card: 'supervisor', at: 'kiosk' })).status).toBe(200);
    await waitFor(actor, (s) => s.hasTag('maintenance'), { timeout: 10_000 });
    let view = await state();
    for (let i = 0; view.maintenance === null && i < 50; i++) view = (await new Promise((r) => setTimeout(r, 100)), await state());
    expect(view.screen).toBe('maintenance');
    expect(view.card).toBeNull();
    expect(view.maintenance?.devices.map((d) => d.name)).toEqual(['card_reader', 'printer', 'scanner', 'network']);
    expect(view.maintenance?.staff_masked_serial).toMatch(/\d{4}$/);

    const tested = await post('/api/command', { type: 'RUN_SELF_TEST' });
    expect(tested.status).toBe(200);
    expect((tested.json as unknown as KioskView).maintenance?.self_test).toMatchObject({ ok: true, failed: [] });
    const sync = await post('/api/command', { type: 'SYNC_NOW' });
    expect(sync.status).toBe(409);
    expect(sync.json.error).toMatch(/no back office/);
    for (const c of [{ type: 'CONTINUE' }, { type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123051' }, { type: 'CONFIRM' }]) await post('/api/command', c);
    expect(actor.getSnapshot().hasTag('maintenance')).toBe(true);

    const exit = await post('/api/command', { type: 'EXIT_MAINTENANCE' });
    expect(exit.status).toBe(200);
    expect(exit.json).toMatchObject({ screen: 'idle', maintenance: null });
    expect(money()).toEqual(before);
    expect((await sim('/sim/card/withdraw', { at: 'kiosk' })).status).toBe(200);
  }, 30_000);
});
