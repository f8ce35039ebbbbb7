import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import type { KioskView } from '../../src/shared/kiosk-api';
import { startSimKioskProcess, type KioskProcess } from '../support/kiosk-process';

// `civicard kiosk --sim --sip2 HOST:PORT --sip2-login U:P --institution ID
// --tariffs FILE --citations FILE` as a process: library fines through the ILS
// simulator over loopback TCP, citations from the citations file, driven only
// through the typed API; a fine the ILS refuses is credited back to the card.

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');
const TARIFFS = join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json');
const CITATIONS = join(process.cwd(), 'test/fixtures/citations/downtown.json');
const dir = mkdtempSync(join(tmpdir(), 'civicard-kiosk-services-'));
const ils = new IlsSimulator({ data: loadIlsData(join(process.cwd(), 'test/fixtures/ils/library.json')), profile: 'koha' });
let ils_port = 0;
let kiosk: KioskProcess | undefined;
let url = '';
let simUrl = '';
let token = '';
let stdout = '';

async function call(base: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const command = (body: unknown) => call(url, '/api/command', body);

async function until(screen: RegExp, timeout_ms = 15_000): Promise<KioskView> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const view = (await call(url, '/api/state')).json as unknown as KioskView;
    if (screen.test(view.screen)) return view;
    if (Date.now() > deadline) throw new Error(`kiosk stayed at ${view.screen}, expected ${screen}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A card on the reader, a service chosen: the screen it stops at (confirming, or refused with a notice). */
async function choose(card: string, kind: string, reference: string): Promise<KioskView> {
  expect((await call(simUrl, '/sim/card/present', { card })).status).toBe(200);
  await until(/^session\.balanceShown$/);
  await command({ type: 'CONTINUE' });
  await command({ type: 'SELECT_SERVICE', kind, reference });
  return until(/^session\.(confirming|quoteRefused|choosing)$/);
}

/** Street cleaning in the sample tariffs: no parking on Tuesdays 03:00–05:00 in Chicago. */
function streetCleaningNow(): boolean {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date());
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  return parts.find((p) => p.type === 'weekday')?.value === 'Tue' && hour >= 3 && hour < 5;
}

async function leave(): Promise<void> {
  await call(simUrl, '/sim/card/withdraw', {});
  const view = (await call(url, '/api/state')).json as unknown as KioskView;
  await command({ type: view.screen.startsWith('payment') ? 'FINISH' : 'CANCEL' });
  await until(/^idle$/);
}

beforeAll(async () => {
  ({ port: ils_port } = await ils.start(0, '127.0.0.1'));
  kiosk = await startSimKioskProcess(dir, ['--sip2', `127.0.0.1:${ils_port}`, '--sip2-login', 'kiosk:kiosk-pass', '--institution', 'CIVICLIB', '--tariffs', TARIFFS, '--citations', CITATIONS]);
  ({ url, simUrl, token, startup: stdout } = kiosk);
}, 60_000);

afterAll(async () => {
  await kiosk?.stop();
  await ils.stop();
});

describe('civicard kiosk --sim with the ILS, tariffs and citations configured', () => {
  it('says what it sells', () => {
    expect(stdout).toMatch(/selling library_fine, parking, citation/);
  });

  it('pays a patron’s library fines through the ILS simulator over TCP (Fee Paid with our tx id)', async () => {
    const confirming = await choose('A', 'library_fine', '29000000000001');
    expect(confirming.quote).toMatchObject({ kind: 'library_fine', amount_minor: 525 });
    await command({ type: 'CONFIRM' });
    const done = await until(/^payment\.done$/);
    expect(ils.feePaidRecords()).toEqual([expect.objectContaining({ transaction_id: done.payment!.tx_id, accepted: true, amount_minor: 525 })]);
    await leave();
  });

  it('a fine the ILS refuses after the debit is credited back to the card', async () => {
    ils.refuseFee('2001');
    const confirming = await choose('B', 'library_fine', '29000000000003');
    expect(confirming.quote?.amount_minor).toBe(1_000);
    expect(confirming.card?.balance_minor).toBe(2_000);
    await command({ type: 'CONFIRM' });
    const refused = await until(/^payment\.serviceRefusedNotice$/);
    const tx_id = refused.payment!.tx_id;
    await command({ type: 'ACK' });
    await until(/^payment\.(done|noReceipt)$/);
    expect(ils.feePaidRecords().find((r) => r.transaction_id === tx_id)).toMatchObject({ accepted: false });
    await leave();
    const again = await choose('B', 'citation', '4000123051');
    expect(again.card?.balance_minor).toBe(2_000); // the $10.00 is back on the card
    await leave();
  });

  it('pays a scanned citation from the citations file; a second time it is already paid', async () => {
    const confirming = await choose('C', 'citation', '4000123051');
    expect(confirming.quote).toMatchObject({ kind: 'citation', amount_minor: 1_250 });
    await command({ type: 'CONFIRM' });
    await until(/^payment\.done$/);
    await leave();
    const again = await choose('C', 'citation', '4000123051');
    expect(again).toMatchObject({ screen: 'session.quoteRefused', notice: { key: 'quote.already_paid' } });
    await leave();
  });

  it('parking by plate over the typed API: durations to choose from, priced at the kiosk clock from the tariff file, then paid', async () => {
    const offered = await choose('E', 'parking', 'plate:101/ABC-123');
    if (streetCleaningNow()) {
      expect(offered).toMatchObject({ screen: 'session.quoteRefused', notice: { key: 'quote.no_parking_now' } });
      await leave();
      return;
    }
    expect(offered.screen).toBe('session.choosing');
    const options = offered.quote!.options!;
    expect(options.length).toBeGreaterThan(0);
    expect(options.every((o) => o.label_key === 'parking.duration' && /^m\d+$/.test(o.id) && o.amount_minor > 0 && !o.preselected)).toBe(true);
    expect(JSON.stringify(offered)).not.toContain('ABC');
    await command({ type: 'CHOOSE', option_ids: [options[0]!.id] });
    const confirming = await until(/^session\.confirming$/);
    // Priced again at the kiosk clock when chosen (a minute may have passed between the two quotes).
    expect(confirming.quote?.amount_minor).toBeGreaterThan(0);
    await command({ type: 'CONFIRM' });
    await until(/^payment\.done$/);
    await leave();
    expect(readFileSync(join(dir, 'parking-sessions.json'), 'utf8')).toContain('ABC123'); // kept apart until the back office has it
  });

  it('the ILS down: a library quote is refused as service unavailable, nothing moves', async () => {
    await ils.stop();
    try {
      const view = await choose('D', 'library_fine', '29000000000001');
      expect(view).toMatchObject({ screen: 'session.quoteRefused', notice: { key: 'quote.service_unavailable' } });
      expect(view.card?.balance_minor).toBe(2_000);
      await leave();
    } finally {
      await ils.start(ils_port, '127.0.0.1');
    }
  });

  it('the ledger verifies, holds the credit back, and carries no patron id or citation number', async () => {
    const exported = (await run(process.execPath, [CLI, 'ledger', 'export', '--db', join(dir, 'kiosk.db')])).stdout;
    const payloads = exported.trim().split('\n').map((l) => (JSON.parse(l) as { payload: { kind: string; service?: string } }).payload);
    const intents = payloads.filter((p) => p.kind.endsWith('intent')).map((p) => `${p.kind} ${p.service}`);
    expect(intents.slice(0, 4)).toEqual(['intent library_fine', 'intent library_fine', 'credit_intent credit_back', 'intent citation']);
    expect(intents.slice(4)).toEqual(streetCleaningNow() ? [] : ['intent parking']);
    expect(payloads.map((p) => p.kind)).toContain('credit_committed');
    const pub = join(dir, 'kiosk.pub');
    writeFileSync(pub, createPublicKey(readFileSync(join(dir, 'kiosk-key.pem'))).export({ type: 'spki', format: 'pem' }));
    expect((await run(process.execPath, [CLI, 'ledger', 'verify', '--db', join(dir, 'kiosk.db'), '--public-key', pub])).stdout).toMatch(/^ledger VERIFIED/);
    for (const secret of ['29000000000001', '29000000000003', '4000123051', 'ABC123', 'ABC-123']) expect(exported).not.toContain(secret);
  });
});

describe('civicard kiosk --sim refuses a bad service flag before starting anything', () => {
  it.each([
    [['--sip2', 'ils.example'], /--sip2 must be HOST:PORT .*got "ils\.example"/],
    [['--sip2', '127.0.0.1:6001'], /--sip2 needs --institution ID/],
    [['--tariffs', '/nonexistent/tariffs.json'], /--tariffs \/nonexistent\/tariffs\.json: cannot read it \(ENOENT\)/],
    [['--citations', TARIFFS], /--citations .*chicago-downtown\.json: \$\.format: must be "civicard-citations\/1"/],
  ])('%j', async (args, message) => {
    const failed = await run(process.execPath, [CLI, 'kiosk', '--sim', '--no-pcscd', ...args]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(message);
  });
});
