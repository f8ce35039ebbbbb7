import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { signRequest } from '../../../src/backoffice/auth/request-signing';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import type { ReconciliationSummary } from '../../../src/backoffice/reconcile/summary';
import { KyselyDownlinkRepository } from '../../../src/backoffice/downlink/kysely-repository';
import { ingestBatch } from '../../../src/backoffice/ingest';
import { buildServer } from '../../../src/backoffice/server';
import { KioskLedger } from '../../../src/ledger';
import { newKioskKey, testKiosk, type TestKiosk } from '../../support/backoffice-fixtures';
import { forEachStore } from '../../support/backoffice-stores';
import { testTxId } from '../../support/card-fixtures';
import { addStaff, Browser } from '../../support/dashboard-client';

// What the dashboard shows, from a store seeded the way production fills it:
// real kiosk ledgers ingested through ingestBatch. Both stores.

const TZ = 'America/Chicago';
const T0 = Date.parse('2025-03-05T07:00:00.000Z'); // 01:00 on 5 March in Chicago
const HOUR = 60 * 60 * 1000;
const CARD = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const OTHER_CARD = 'c0ffee00aaaaaaaaaaaaaaaaaaaaaaaa';

/** A kiosk ledger on its own (possibly wrong) clock, paying for `card` at the given card counters. */
function kioskOnClock(times: number[], counters: number[], card = CARD, prefix = '0190e0a0') {
  const key = newKioskKey();
  let i = 0;
  const ledger = KioskLedger.open(':memory:', key, () => new Date(times[Math.min(i, times.length - 1)]!));
  counters.forEach((counter, n) => {
    i = n;
    const tx_id = testTxId(counter, prefix);
    ledger.appendAll([
      { kind: 'intent', service: 'parking', tx_id, card_ref: card, amount_minor: 200, balance_before_minor: 10_000 - 200 * counter, expected_balance_after_minor: 9_800 - 200 * counter, tmac_counter_before: counter, service_ref: `p-${counter}`, reverses_tx_id: null, shift_id: null },
    ]);
    ledger.append({ kind: 'committed', tx_id, balance_after_minor: 9_800 - 200 * counter, tmac_counter: counter + 1, tmac_value: 'cd'.repeat(8) });
  });
  return { key, rows: () => ledger.db.prepare('SELECT * FROM entries ORDER BY seq').all() };
}

forEachStore('dashboard pages', (t) => {
  let clock: number;
  let app: FastifyInstance;
  let reports: string;
  let lobby: TestKiosk;
  let browser: Browser;

  beforeEach(async () => {
    clock = T0;
    reports = mkdtempSync(join(tmpdir(), 'civicard-reports-'));
    lobby = testKiosk();
    lobby.pay(3);
    await enrollKiosk(t.store, { publicKeyPem: lobby.key.publicKeyPem, name: 'Central Library lobby', by: 'test' });
    const res = await ingestBatch(t.store, lobby.kiosk_id, lobby.rows(), { now: () => new Date(T0) });
    expect(res.ok).toBe(true);
    await addStaff(t.store, 'fran', 'finance');
    await addStaff(t.store, 'ada', 'administrator');
    const reconcile = async (date: string) => void (await reconcileDay(t.store, { date, time_zone: TZ, out: join(reports, date), now: () => new Date(clock) }));
    app = buildServer({ store: t.store, now: () => clock, dashboard: { time_zone: TZ, reports_dir: reports, actions: { reconcile } } });
    browser = new Browser(app);
    await browser.login('fran');
  });
  afterEach(async () => {
    await app.close();
    rmSync(reports, { recursive: true, force: true });
  });

  describe('the day', () => {
    it("defaults to yesterday in the back office's time zone", async () => {
      expect((await browser.get('/dashboard')).body).toContain('<h1>The day: 2025-03-04</h1>');
      clock = Date.parse('2025-03-05T05:30:00.000Z'); // still 4 March, 23:30, in Chicago
      expect((await browser.get('/dashboard')).body).toContain('<h1>The day: 2025-03-03</h1>');
    });

    it("shows the day's exceptions: those filed under it and those sync raised that local day, most severe first", async () => {
      const ex = (kind: string, severity: 'info' | 'warning' | 'critical', business_date: string | null, raised_at: string, explanation: string) =>
        t.store.db.insertInto('exceptions').values({ kind, severity, kiosk_id: lobby.kiosk_id, card_ref: CARD, tx_id: null, business_date, explanation, detail: '{}', raised_at }).execute();
      await ex('open_intent_unsettled', 'warning', '2025-03-04', '2025-03-05T08:15:00.000Z', 'A payment of 3.50 was never settled.');
      await ex('sync_conflict', 'critical', null, '2025-03-04T15:00:00.000Z', 'The kiosk signed two different entries under number 4.');
      await ex('sync_conflict', 'critical', null, '2025-03-05T07:00:00.000Z', 'Raised on 5 March in Chicago: not this day.');
      await ex('balance_jump', 'info', '2025-03-03', '2025-03-04T08:15:00.000Z', 'Another day.');
      const body = (await browser.get('/dashboard?date=2025-03-04')).body;
      expect(body).toContain('Exceptions (2)');
      const critical = body.indexOf('The kiosk signed two different entries under number 4.');
      const warning = body.indexOf('A payment of 3.50 was never settled.');
      expect(critical).toBeGreaterThan(0);
      expect(warning).toBeGreaterThan(critical);
      expect(body).not.toContain('not this day');
      expect(body).not.toContain('Another day.');
      expect(body).toContain('Central Library lobby');
      expect(body).toContain(`<a class="mono" href="/cards/${CARD}">c0ffee00…</a>`);
      expect(body).not.toContain(`>${CARD}<`);
    });

    it('says "not reconciled yet" with no totals; only an administrator gets the button to run it', async () => {
      const fran = (await browser.get('/dashboard?date=2025-03-04')).body;
      expect(fran).toContain('Not reconciled yet');
      expect(fran).not.toContain('action="/reconcile"');
      const ada = new Browser(app);
      await ada.login('ada');
      expect((await ada.get('/dashboard?date=2025-03-04')).body).toContain('<button type="submit">Reconcile 2025-03-04 now</button>');
    });

    it("shows the reconciliation's totals, debits by service and the liability equation once an administrator runs it, with the downloads", async () => {
      // A parking kiosk's day in Chicago: 4 March, 09:00 and 14:00 local, two payments of 2.00 on one card.
      const day = kioskOnClock([Date.parse('2025-03-04T15:00:00Z'), Date.parse('2025-03-04T20:00:00Z')], [1, 2], CARD, '0190e0d4');
      const booth = await enrollKiosk(t.store, { publicKeyPem: day.key.publicKeyPem, name: 'Parking booth 1', by: 'test' });
      expect((await ingestBatch(t.store, booth.kiosk_id, day.rows(), { now: () => new Date(T0) })).ok).toBe(true);
      const ada = new Browser(app);
      await ada.login('ada');
      const ran = await ada.post('/reconcile', { csrf: await ada.csrf(), date: '2025-03-04' });
      expect(ran.statusCode).toBe(303);
      expect(ran.headers.location).toBe('/dashboard?date=2025-03-04');

      const summary = JSON.parse(readFileSync(join(reports, '2025-03-04', 'summary.json'), 'utf8')) as ReconciliationSummary;
      expect(summary.totals.payments_minor).toBe(400);
      const body = (await browser.get('/dashboard?date=2025-03-04')).body;
      expect(body).not.toContain('Not reconciled yet');
      expect(body).toMatch(/Debits \(payments\)<\/th><td class="num">4\.00</);
      expect(body).toMatch(/Transactions<\/th><td class="num">2</);
      expect(body).toMatch(/<td>parking<\/td><td class="num">2<\/td><td class="num">4\.00<\/td>/);
      expect(body).toContain(`Card liability: ${summary.liability.holds ? 'the equation holds' : '<span class="badge critical">the equation does not hold</span>'}`);
      expect(body).toContain(`At end of day (cards)</th><td class="num">${(summary.liability.end_minor / 100).toFixed(2)}<`);
      // Every exception the reconciliation filed under the day is listed, in plain words.
      const filed = await t.store.db.selectFrom('exceptions').select(['kind', 'explanation']).where('business_date', '=', '2025-03-04').execute();
      expect(body).toContain(`Exceptions (${filed.length})`);
      for (const e of filed) expect(body).toContain(e.explanation.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;'));
      for (const f of ['report.pdf', 'exceptions.csv', 'revenue.csv', 'shifts.csv', 'cards.csv', 'summary.json']) expect(body).toContain(`href="/reports/2025-03-04/${f}"`);

      const pdf = await browser.get('/reports/2025-03-04/report.pdf');
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.headers['content-disposition']).toBe('attachment; filename="civicard-2025-03-04-report.pdf"');
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      const csv = await browser.get('/reports/2025-03-04/revenue.csv');
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect((await browser.get('/reports/2025-03-04/..%2F..%2Fetc%2Fpasswd')).statusCode).toBe(404);
      expect((await browser.get('/reports/2025-03-05/report.pdf')).statusCode).toBe(404);
    });

    it('says when the equation does not hold', async () => {
      await reconcileDay(t.store, { date: '2025-03-04', time_zone: TZ, out: join(reports, '2025-03-04') });
      const file = join(reports, '2025-03-04', 'summary.json');
      const s = JSON.parse(readFileSync(file, 'utf8')) as ReconciliationSummary;
      writeFileSync(file, JSON.stringify({ ...s, liability: { ...s.liability, end_minor: s.liability.end_minor - 300, difference_minor: -300, holds: false } }));
      const body = (await browser.get('/dashboard?date=2025-03-04')).body;
      expect(body).toContain('the equation does not hold');
      expect(body).toMatch(/Difference<\/th><td class="num">-3\.00</);
    });
  });

  describe('kiosk health', () => {
    it('colours the last sync green under an hour, amber under a day, red beyond or never, in words too', async () => {
      const quiet = await enrollKiosk(t.store, { publicKeyPem: newKioskKey().publicKeyPem, name: 'Parking booth 2', by: 'test' });
      const row = (body: string, name: string) => body.slice(body.indexOf(name), body.indexOf('</tr>', body.indexOf(name)));
      // A session idles out in 30 min: the clerk logs in again each time the clock jumps.
      const kiosksPage = async () => {
        const b = new Browser(app);
        await b.login('fran');
        return b.get('/kiosks');
      };
      clock = T0 + HOUR - 1;
      let body = (await kiosksPage()).body;
      expect(row(body, 'Central Library lobby')).toContain('<span class="badge green">Synced within the hour</span>');
      expect(row(body, 'Central Library lobby')).toContain('<td class="num">6</td>');
      expect(row(body, 'Central Library lobby')).toContain('unknown (the kiosk does not report it)');
      expect(row(body, 'Parking booth 2')).toContain('<span class="badge red">Never synced</span>');
      expect(row(body, quiet.kiosk_id)).toContain('<td class="num">0</td>');
      clock = T0 + HOUR;
      body = (await kiosksPage()).body;
      expect(row(body, 'Central Library lobby')).toContain('<span class="badge amber">No sync for over an hour</span>');
      clock = T0 + 24 * HOUR - 1;
      expect(row((await kiosksPage()).body, 'Central Library lobby')).toContain('badge amber');
      clock = T0 + 24 * HOUR;
      body = (await kiosksPage()).body;
      expect(row(body, 'Central Library lobby')).toContain('<span class="badge red">No sync for over a day</span>');
      expect(row(body, 'Central Library lobby')).toContain('(24 h 0 min ago)');
    });

    it("shows the unsynced count and oldest age a kiosk reported with its batch (the optional signed outbox field)", async () => {
      lobby.pay(1);
      const body = JSON.stringify({ kiosk_id: lobby.kiosk_id, entries: lobby.rows(7, 8), outbox: { unsynced: 12, oldest_at: new Date(T0 - 2 * HOUR).toISOString() } });
      const headers = { 'content-type': 'application/json', ...signRequest({ method: 'POST', path: '/v1/sync/batch', body, key: lobby.key.privateKey, kiosk_id: lobby.kiosk_id, now: clock }) };
      const res = await app.inject({ method: 'POST', url: '/v1/sync/batch', headers, payload: body });
      expect(res.statusCode).toBe(200);
      const page = (await browser.get('/kiosks')).body;
      expect(page).toContain('<td>12</td>');
      expect(page).toContain('<td>2 h 0 min (as of 2025-03-05 01:00:00)</td>');
      expect(page).toContain('<td class="num">8</td>');
    });

    it('refuses a malformed outbox field before storing anything', async () => {
      lobby.pay(1);
      const body = JSON.stringify({ kiosk_id: lobby.kiosk_id, entries: lobby.rows(7, 8), outbox: { unsynced: -1, oldest_at: null } });
      const headers = { 'content-type': 'application/json', ...signRequest({ method: 'POST', path: '/v1/sync/batch', body, key: lobby.key.privateKey, kiosk_id: lobby.kiosk_id, now: clock }) };
      const res = await app.inject({ method: 'POST', url: '/v1/sync/batch', headers, payload: body });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^outbox must be/);
      expect(await t.store.db.selectFrom('entries').select('seq').where('seq', '>', 6).execute()).toEqual([]);
    });

    it('enrolls a pasted public key and shows the kiosk id it gets; revokes', async () => {
      const ada = new Browser(app);
      await ada.login('ada');
      const key = newKioskKey();
      const done = await ada.post('/kiosks/enroll', { csrf: await ada.csrf(), name: 'Booth 3', public_key_pem: key.publicKeyPem });
      expect(done.statusCode).toBe(303);
      const page = (await ada.get(done.headers.location as string)).body;
      const id = /Its kiosk ID is <code>([^<]+)<\/code>/.exec(page)![1]!;
      expect(page).toContain('Booth 3');
      expect((await t.store.db.selectFrom('kiosks').select(['name', 'status', 'enrolled_by']).where('kiosk_id', '=', id).executeTakeFirst())).toEqual({ name: 'Booth 3', status: 'active', enrolled_by: 'dashboard:ada' });
      const bad = await ada.post('/kiosks/enroll', { csrf: await ada.csrf(), name: 'x', public_key_pem: 'not a key' });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('Nothing was enrolled: not an Ed25519 public key');
      expect((await ada.post(`/kiosks/${id}/revoke`, { csrf: await ada.csrf() })).statusCode).toBe(303);
      expect((await t.store.db.selectFrom('kiosks').select('status').where('kiosk_id', '=', id).executeTakeFirst())!.status).toBe('revoked');
    });
  });

  describe('a card', () => {
    it("lists its history across kiosks by the card's counter, not by the kiosks' clocks", async () => {
      // Kiosk A's clock is right; kiosk B's runs two hours slow, so by time its payment looks first.
      const a = kioskOnClock([T0 - 3 * HOUR, T0 - 2 * HOUR], [5, 9], CARD, '0190e0a1');
      const b = kioskOnClock([T0 - 4 * HOUR], [7], CARD, '0190e0b2');
      for (const [k, name] of [
        [a, 'Kiosk A'],
        [b, 'Kiosk B'],
      ] as const) {
        const e = await enrollKiosk(t.store, { publicKeyPem: k.key.publicKeyPem, name, by: 'test' });
        expect((await ingestBatch(t.store, e.kiosk_id, k.rows(), { now: () => new Date(T0) })).ok).toBe(true);
      }
      await t.store.db.insertInto('exceptions').values({ kind: 'counter_gap', severity: 'warning', kiosk_id: null, card_ref: CARD, tx_id: null, business_date: '2025-03-04', explanation: 'The card counter skipped 6.', detail: '{}', raised_at: new Date(T0).toISOString() }).execute();
      const body = (await browser.get(`/cards/${CARD}`)).body;
      const order = [testTxId(5, '0190e0a1'), testTxId(7, '0190e0b2'), testTxId(9, '0190e0a1')].map((tx) => body.indexOf(tx));
      expect(order.every((i) => i > 0)).toBe(true);
      expect([...order].sort((x, y) => x - y)).toEqual(order);
      const b7 = body.slice(body.indexOf('<td class="num">7</td>'));
      expect(b7).toMatch(/^<td class="num">7<\/td><td>2025-03-04 21:00:00<\/td><td>Kiosk B<\/td>\s*<td>intent<\/td><td>parking<\/td><td>debit<\/td>\s*<td class="num">2\.00<\/td>\s*<td class="num">86\.00<\/td>\s*<td class="num">84\.00<\/td>/);
      expect(body).toContain('The card counter skipped 6.');
      // The lobby's own payments of this card are there too (counters 1-3), first.
      expect(body.indexOf(testTxId(1, '0190e000'))).toBeLessThan(order[0]!);
    });

    it('finds a card by 8 or more hex digits, and asks for 8 when given fewer', async () => {
      const other = kioskOnClock([T0], [1], OTHER_CARD, '0190e0c3');
      const e = await enrollKiosk(t.store, { publicKeyPem: other.key.publicKeyPem, name: 'C', by: 'test' });
      await ingestBatch(t.store, e.kiosk_id, other.rows(), { now: () => new Date(T0) });
      const both = await browser.get('/cards?q=C0FFEE00');
      expect(both.statusCode).toBe(200);
      expect(both.body).toContain(`href="/cards/${CARD}"`);
      expect(both.body).toContain(`href="/cards/${OTHER_CARD}"`);
      const one = await browser.get('/cards?q=c0ffee00c0');
      expect(one.statusCode).toBe(303);
      expect(one.headers.location).toBe(`/cards/${CARD}`);
      expect((await browser.get('/cards?q=c0ffee0')).body).toContain('Type at least 8 hexadecimal digits');
      expect((await browser.get('/cards?q=deadbeef')).body).toContain('No card reference starts with <code>deadbeef</code>.');
    });
  });

  describe('a lost card', () => {
    it('an administrator reports it from the card page: hotlisted, its balance authorised once with a code; finance may not', async () => {
      const k = kioskOnClock([T0 - 2 * HOUR], [4], OTHER_CARD, '0190e0d4');
      const e = await enrollKiosk(t.store, { publicKeyPem: k.key.publicKeyPem, name: 'Kiosk D', by: 'test' });
      expect((await ingestBatch(t.store, e.kiosk_id, k.rows(), { now: () => new Date(T0) })).ok).toBe(true);
      expect((await browser.get(`/cards/${OTHER_CARD}`)).body).not.toContain(`action="/cards/${OTHER_CARD}/lost"`);
      const refused = await browser.post(`/cards/${OTHER_CARD}/lost`, { csrf: await browser.csrf() });
      expect(refused.statusCode).toBe(403);

      const ada = new Browser(app);
      await ada.login('ada');
      expect((await ada.get(`/cards/${OTHER_CARD}`)).body).toContain(`action="/cards/${OTHER_CARD}/lost"`);
      const res = await ada.post(`/cards/${OTHER_CARD}/lost`, { csrf: await ada.csrf() });
      expect(res.statusCode).toBe(200);
      const code = /data-testid="replacement-code">([A-Z0-9-]+)</.exec(res.body)![1]!;
      expect(res.body).toContain('for 90.00 (pending)'); // 10,000 − 200 × 5 minor units after its payment at counter 4
      const row = await t.store.db.selectFrom('replacement_credits').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ code, old_card_ref: OTHER_CARD, status: 'pending' });
      expect(Number(row.amount_minor)).toBe(9_000);
      expect(await KyselyDownlinkRepository.on(t.store.db).hotlistChangesAfter(0)).toMatchObject([{ card_ref: OTHER_CARD, action: 'add' }]);
      // Again: the same authorisation.
      expect((await ada.post(`/cards/${OTHER_CARD}/lost`, { csrf: await ada.csrf() })).body).toContain(code);
      expect(await t.store.db.selectFrom('replacement_credits').select('id').execute()).toHaveLength(1);
      expect((await ada.post('/cards/dddddddddddddddddddddddddddddddd/lost', { csrf: await ada.csrf() })).body).toContain('no transactions of card dddddddd… are held');
    });
  });

  describe('hotlist and configuration, published to kiosks', () => {
    it("an administrator's hotlist change and configuration are what kiosks are then sent", async () => {
      await app.close();
      const { privateKey } = generateKeyPairSync('ed25519');
      app = buildServer({ store: t.store, now: () => clock, downlink: { key: privateKey }, dashboard: { time_zone: TZ } });
      const ada = new Browser(app);
      await ada.login('ada');
      const added = await ada.post('/hotlist', { csrf: await ada.csrf(), action: 'add', card_ref: CARD.toUpperCase() });
      expect(added.statusCode).toBe(303);
      expect((await ada.get(added.headers.location as string)).body).toContain('Hotlist is now version 1');
      const published = await ada.post('/config', { csrf: await ada.csrf(), contents: '{ "ils_profile": "koha" }' });
      expect(published.statusCode).toBe(303);
      const refused = await ada.post('/config', { csrf: await ada.csrf(), contents: '{ "colour": "red" }' });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('contents.colour: not a known part');

      const kioskGet = (path: string) =>
        app.inject({ method: 'GET', url: path, headers: signRequest({ method: 'GET', path, key: lobby.key.privateKey, kiosk_id: lobby.kiosk_id, now: clock }) });
      expect((await kioskGet('/v1/hotlist?after=0')).json().delta).toMatchObject({ to_version: 1, add: [CARD], remove: [] });
      expect((await kioskGet('/v1/config/bundle?after=0')).json().bundle).toMatchObject({ version: 1, contents: { ils_profile: 'koha' } });

      const fran = new Browser(app);
      await fran.login('fran');
      const hotlist = (await fran.get('/hotlist')).body;
      expect(hotlist).toContain(`href="/cards/${CARD}"`);
      expect(hotlist).not.toContain('action="/hotlist"');
      const config = (await fran.get('/config')).body;
      expect(config).toContain('Current: version 1');
      expect(config).toContain('&quot;ils_profile&quot;: &quot;koha&quot;');
      expect(config).not.toContain('action="/config"');

      const removed = await ada.post('/hotlist', { csrf: await ada.csrf(), action: 'remove', card_ref: CARD });
      expect(removed.statusCode).toBe(303);
      expect((await ada.get('/hotlist')).body).toContain('The hotlist is empty.');
    });
  });
});
