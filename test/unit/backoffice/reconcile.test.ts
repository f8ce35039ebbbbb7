import type { Kysely } from 'kysely';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import type { ReconciliationSummary } from '../../../src/backoffice/reconcile/summary';
import { forEachStore } from '../../support/backoffice-stores';
import { countRows, ScenarioClock, ScenarioKiosk, TestCard } from '../../support/reconcile-scenario';

// Reconciliation of one business day (issue 9 point 6) over real kiosk
// ledgers synced into the back-office store, on every store engine.
// The day: 2026-03-02 in America/Chicago = 06:00Z on the 2nd to 06:00Z on the 3rd.

const DATE = '2026-03-02';
const TZ = 'America/Chicago';
const YESTERDAY = '2026-03-01T18:00:00.000Z';
const MORNING = '2026-03-02T15:00:00.000Z';
const TOMORROW = '2026-03-03T15:00:00.000Z';

const cardRef = (n: number) => n.toString(16).padStart(2, '0').repeat(16);

forEachStore('reconcileDay', (t) => {
  async function city() {
    const store = t.store;
    const db = store.db;
    const clock = new ScenarioClock(YESTERDAY);
    const library = new ScenarioKiosk('Central Library', clock);
    const parking = new ScenarioKiosk('Parking East', clock);
    const desk = new ScenarioKiosk('City Hall desk', clock);
    for (const k of [library, parking, desk]) await k.enroll(store);
    const syncAll = async () => {
      for (const k of [library, parking, desk]) await k.sync(store);
    };
    /** A card issued yesterday at the desk with `opening` on it, counter `counter`. */
    const issued = (n: number, opening: number, counter = 1) => {
      const card = new TestCard(cardRef(n), 0, counter);
      const shift = desk.openShift(0);
      desk.pay(card, 'opening_balance', opening, { shift_id: shift });
      desk.closeShift(shift, opening);
      return card;
    };
    const out = mkdtempSync(join(tmpdir(), 'civicard-recon-'));
    const reconcile = (date = DATE) => reconcileDay(store, { date, time_zone: TZ, out, now: () => new Date('2026-03-03T08:00:00.000Z') });
    return { store, db, clock, library, parking, desk, syncAll, issued, out, reconcile };
  }

  const kinds = (s: ReconciliationSummary) => s.exceptions.map((e) => e.kind);

  it('a clean day: no exceptions, and liability at the start + top-ups − debits + credit backs = liability at the end', async () => {
    const c = await city();
    const card1 = c.issued(1, 2_000);
    const card2 = c.issued(2, 5_000);
    c.clock.set(MORNING);
    c.library.pay(card1, 'library_fine', 350);
    c.parking.pay(card1, 'parking', 200);
    const shift = c.desk.openShift(10_000);
    const topUp = c.desk.pay(card2, 'top_up', 1_000, { shift_id: shift });
    c.desk.pay(card2, 'void', 1_000, { shift_id: shift, reverses_tx_id: topUp });
    c.desk.pay(card2, 'top_up', 500, { shift_id: shift });
    const refused = c.library.pay(card2, 'library_fine', 300, { post: 'refused' });
    c.library.pay(card2, 'credit_back', 300, { reverses_tx_id: refused });
    c.desk.closeShift(shift, 10_500);
    await c.syncAll();

    const s = await c.reconcile();
    expect(s.exceptions).toEqual([]);
    expect(s.liability).toMatchObject({
      start_minor: 7_000,
      top_ups_minor: 1_500,
      opening_balances_minor: 0,
      payments_minor: 850,
      voids_minor: 1_000,
      credit_backs_minor: 300,
      expected_end_minor: 6_950,
      end_minor: 6_950,
      difference_minor: 0,
      holds: true,
    });
    expect(card1.balance + card2.balance).toBe(6_950);
    expect(s.totals).toMatchObject({ transactions: 7, cash_taken_minor: 500, refunds_minor: 0, revenue_net_minor: 550 });
    expect(s.revenue.by_service).toEqual([
      { service: 'library_fine', payments: 2, gross_minor: 650, credit_backs_minor: 300, refunds_minor: 0, net_minor: 350 },
      { service: 'parking', payments: 1, gross_minor: 200, credit_backs_minor: 0, refunds_minor: 0, net_minor: 200 },
      { service: 'citation', payments: 0, gross_minor: 0, credit_backs_minor: 0, refunds_minor: 0, net_minor: 0 },
    ]);
    expect(s.revenue.by_branch.map((b) => [b.branch, b.net_minor, b.top_ups_minor])).toEqual([
      ['Central Library', 350, 0],
      ['City Hall desk', 0, 1_500],
      ['Parking East', 200, 0],
    ]);
    expect(s.shifts.filter((x) => x.closed_at?.startsWith('2026-03-02'))).toMatchObject([{ branch: 'City Hall desk', expected_by_kiosk_minor: 10_500, expected_recomputed_minor: 10_500, counted_minor: 10_500, over_short_minor: 0 }]);
    expect(s.chain.every((k) => k.ok)).toBe(true);
    expect(s.chain.reduce((n, k) => n + k.entries_checked, 0)).toBeGreaterThan(10);
    expect(s.tmac).toMatchObject({ commits_with_tmac: 7, well_formed: 7, verified_cryptographically: 0 });
    expect(s.revenue.hourly_net_minor.reduce((a, b) => a + b, 0)).toBe(6_950 - 7_000);

    const onDisk = JSON.parse(readFileSync(join(c.out, 'summary.json'), 'utf8'));
    expect(onDisk.liability.holds).toBe(true);
    expect(onDisk.format).toBe('civicard-reconciliation/1');
    const pdf = readFileSync(join(c.out, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect((pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length).toBe(3);
    expect(readFileSync(join(c.out, 'revenue.csv'), 'utf8').split('\r\n')[1]).toBe('service,library_fine,,2,650,300,0,350,,,');
    expect(readFileSync(join(c.out, 'cards.csv'), 'utf8')).toContain(`${cardRef(1)},2,2000,0,550,1450,0,`);
  });

  it('revenue by parking zone, from the sessions kiosks uploaded (matched by the intent\'s service_ref); a payment whose session has not arrived is counted apart', async () => {
    const c = await city();
    const card = c.issued(1, 5_000);
    c.clock.set(MORNING);
    c.parking.pay(card, 'parking', 200, { service_ref: 'pk:00000000-0000-4000-8000-000000000001' });
    c.parking.pay(card, 'parking', 300, { service_ref: 'pk:00000000-0000-4000-8000-000000000002' });
    c.parking.pay(card, 'parking', 150, { service_ref: 'pk:00000000-0000-4000-8000-000000000003' });
    c.parking.pay(card, 'parking', 75, { service_ref: 'pk:00000000-0000-4000-8000-000000000004' });
    await c.syncAll();
    const session = (n: number, zone: string) => ({
      session_id: `pk:00000000-0000-4000-8000-00000000000${n}`,
      kiosk_id: c.parking.kiosk_id,
      plate_key_id: 'k1',
      zone,
      space: null,
      plate_hash: 'ab'.repeat(32),
      stay_start: '2026-03-02T09:00:00-06:00',
      start_at: '2026-03-02T09:00:00-06:00',
      end_at: '2026-03-02T10:00:00-06:00',
      start_ms: 0,
      end_ms: 0,
      status: 'paid',
      received_at: '2026-03-02T16:00:00.000Z',
      updated_at: '2026-03-02T16:00:00.000Z',
    });
    const db = c.db as unknown as Kysely<{ parking_sessions: ReturnType<typeof session> }>;
    await db.insertInto('parking_sessions').values([session(1, 'curb-101'), session(2, 'curb-101'), session(3, 'curb-205')]).execute();

    const s = await c.reconcile();
    expect(s.revenue.by_zone).toEqual([
      { zone: 'curb-101', payments: 2, gross_minor: 500 },
      { zone: 'curb-205', payments: 1, gross_minor: 150 },
      { zone: null, payments: 1, gross_minor: 75 },
    ]);
    expect(readFileSync(join(c.out, 'revenue.csv'), 'utf8')).toContain('zone,curb-101,,2,500,');
  });

  it('a clone: two kiosks charging the same card counter is critical, and the liability difference names it', async () => {
    const c = await city();
    const card = c.issued(3, 1_000, 5);
    const copy = new TestCard(card.card_ref, card.balance, card.counter);
    c.clock.set(MORNING);
    c.library.pay(card, 'library_fine', 350);
    c.parking.pay(copy, 'parking', 200);
    await c.syncAll();
    const s = await c.reconcile();
    const clone = s.exceptions.find((e) => e.kind === 'card_clone')!;
    expect(clone).toMatchObject({ severity: 'critical', card_ref: card.card_ref, kiosk_id: c.parking.kiosk_id });
    expect(clone.explanation).toMatch(/same card counter 6.*Central Library.*Parking East/);
    expect(s.liability.holds).toBe(false);
    expect(s.liability.difference_minor).toBe(200);
    const mismatch = s.exceptions.find((e) => e.kind === 'liability_mismatch')!;
    expect(mismatch.severity).toBe('critical');
    expect(mismatch.explanation).toContain(`card ${card.card_ref.slice(0, 8)}… 200 (card_clone)`);
  });

  it('the same transaction held twice is a duplicate, not a clone', async () => {
    const c = await city();
    const card = c.issued(4, 1_000);
    c.clock.set(MORNING);
    const tx = c.library.pay(card, 'library_fine', 350);
    await c.syncAll();
    // A second kiosk record of the same card commit (as a restored kiosk image would upload).
    const rows = await c.db.selectFrom('entries').selectAll().where('tx_id', '=', tx).where('kind', 'in', ['intent', 'committed']).execute();
    const copy = new ScenarioKiosk('Restored image', c.clock);
    await copy.enroll(c.store);
    await c.db.insertInto('entries').values(rows.map((r, i) => ({ ...r, kiosk_id: copy.kiosk_id, seq: i + 1 }))).execute();
    const s = await c.reconcile();
    expect(kinds(s)).toContain('duplicate_transaction');
    expect(kinds(s)).not.toContain('card_clone');
  });

  it('a counter gap (a kiosk not yet synced) is a warning, and the equation names it until that kiosk syncs', async () => {
    const c = await city();
    const card = c.issued(5, 2_000);
    const offline = new ScenarioKiosk('Branch North', c.clock);
    await offline.enroll(c.store);
    c.clock.set(MORNING);
    c.library.pay(card, 'library_fine', 100);
    offline.pay(card, 'library_fine', 250);
    c.parking.pay(card, 'parking', 200);
    await c.syncAll();
    const s = await c.reconcile();
    const gap = s.exceptions.find((e) => e.kind === 'counter_gap')!;
    expect(gap).toMatchObject({ severity: 'warning', kiosk_id: c.parking.kiosk_id, card_ref: card.card_ref });
    expect(gap.explanation).toMatch(/jumped from 3 to 4.*1 card transaction/);
    expect(s.liability.difference_minor).toBe(-250);
    expect(s.exceptions.find((e) => e.kind === 'liability_mismatch')!.explanation).toContain('(counter_gap)');

    await offline.sync(c.store);
    const after = await c.reconcile();
    expect(after.exceptions).toEqual([]);
    expect(after.liability.holds).toBe(true);
  });

  it('a balance discontinuity: same counter, another balance, is critical', async () => {
    const c = await city();
    const card = c.issued(6, 1_000);
    c.clock.set(MORNING);
    c.library.pay(card, 'library_fine', 350);
    card.balance += 500; // value appeared on the card without a transaction
    c.parking.pay(card, 'parking', 200);
    await c.syncAll();
    const s = await c.reconcile();
    const d = s.exceptions.find((e) => e.kind === 'balance_discontinuity')!;
    expect(d).toMatchObject({ severity: 'critical', card_ref: card.card_ref, kiosk_id: c.parking.kiosk_id });
    expect(d.explanation).toMatch(/held 1,150 .*left it with 650.*appeared/);
    expect(s.liability.difference_minor).toBe(500);
  });

  it('a short shift: counted less than the kiosk expected', async () => {
    const c = await city();
    const card = new TestCard(cardRef(7), 0, 1);
    c.clock.set(MORNING);
    const shift = c.desk.openShift(5_000);
    c.desk.pay(card, 'top_up', 2_000, { shift_id: shift });
    c.desk.closeShift(shift, 6_800);
    await c.syncAll();
    const s = await c.reconcile();
    expect(s.exceptions.map((e) => [e.kind, e.severity])).toEqual([['shift_short', 'warning']]);
    expect(s.exceptions[0]!.explanation).toMatch(/closed short by 200: counted 6,800, expected 7,000/);
    expect(s.totals.cash_taken_minor).toBe(2_000);
    expect(readFileSync(join(c.out, 'shifts.csv'), 'utf8')).toMatch(/,5000,2000,0,7000,7000,6800,-200\r\n/);
  });

  it('service acknowledgements: an unanswered library post is listed; a refused payment never given back is critical', async () => {
    const c = await city();
    const card = c.issued(8, 3_000);
    c.clock.set(MORNING);
    c.library.pay(card, 'library_fine', 400, { post: 'unanswered' });
    c.parking.pay(card, 'parking', 300, { post: 'refused' });
    c.library.pay(card, 'citation', 100, { post: 'none' });
    await c.syncAll();
    const s = await c.reconcile();
    expect(s.exceptions.map((e) => [e.kind, e.severity])).toEqual([
      ['refused_not_returned', 'critical'],
      ['service_not_posted', 'warning'],
      ['service_unacknowledged', 'warning'],
    ]);
    expect(s.exceptions.find((e) => e.kind === 'service_unacknowledged')!.explanation).toMatch(/400 library payment .* not acknowledged/);
    expect(s.services).toEqual({ payments: 3, acknowledged: 0, unacknowledged: 2, refused: 1 });
    expect(s.liability.holds).toBe(true);
  });

  it('an open intent is settled by the card’s later transaction at another kiosk, or else listed', async () => {
    const c = await city();
    const settled = c.issued(9, 1_000);
    const aborted = c.issued(10, 1_000);
    const open = c.issued(11, 1_000);
    c.clock.set(MORNING);
    // The card left the library reader mid-commit: the ledger says uncertain. It did commit.
    const i1 = c.library.intent(settled, 'library_fine', 350);
    c.library.ledger.append({ kind: 'uncertain', tx_id: i1.tx_id, unknown: 'card_commit', cause: 'card_removed' });
    settled.balance = i1.after;
    settled.counter += 1;
    c.parking.pay(settled, 'parking', 200);
    // This one never reached the card: the next transaction starts at the same counter and balance.
    c.library.intent(aborted, 'library_fine', 350);
    c.parking.pay(aborted, 'parking', 100);
    // And this one has no later evidence.
    c.library.intent(open, 'library_fine', 350);
    await c.syncAll();
    const s = await c.reconcile();
    const got = s.exceptions.map((e) => [e.kind, e.card_ref, e.detail.outcome ?? null]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['open_intent_settled', settled.card_ref, 'committed'],
        ['open_intent_settled', aborted.card_ref, 'not_committed'],
        ['open_intent', open.card_ref, null],
      ]),
    );
    expect(kinds(s).filter((k) => !['open_intent_settled', 'open_intent', 'service_not_posted'].includes(k))).toEqual([]);
    // The settled one counts as a library payment, and the day adds up.
    expect(s.revenue.by_service.find((r) => r.service === 'library_fine')!.gross_minor).toBe(350);
    expect(s.liability.holds).toBe(true);
    expect(s.open_intents).toEqual({ still_open: 1, still_open_minor: 350, settled_committed: 1, settled_not_committed: 1 });
    expect(s.exceptions.find((e) => e.kind === 'open_intent')!.explanation).toMatch(/still open: no later transaction of this card is known yet/);
  });

  it('a stored entry changed after signing breaks the chain, critical, naming the kiosk and the entry', async () => {
    const c = await city();
    const card = c.issued(12, 1_000);
    c.clock.set(MORNING);
    const tx = c.library.pay(card, 'library_fine', 350);
    await c.syncAll();
    await c.db.updateTable('entries').set({ amount_minor: 35 }).where('tx_id', '=', tx).where('kind', '=', 'intent').execute();
    const s = await c.reconcile();
    const broken = s.exceptions.find((e) => e.kind === 'projection_mismatch')!;
    expect(broken).toMatchObject({ severity: 'critical', kiosk_id: c.library.kiosk_id });
    expect(broken.explanation).toMatch(/Central Library: entry 1 fails verification \(projection column amount_minor/);
    const { payload } = await c.db.selectFrom('entries').select('payload').where('tx_id', '=', tx).where('kind', '=', 'intent').executeTakeFirstOrThrow();
    await c.db.updateTable('entries').set({ payload: payload.replace('"amount_minor":350', '"amount_minor":35') }).where('tx_id', '=', tx).where('kind', '=', 'intent').execute();
    const again = await c.reconcile();
    expect(again.exceptions.find((e) => e.kind === 'chain_broken')!.explanation).toMatch(/hash does not match the entry/);
  });

  it('stores the day’s exceptions, replacing its own on a rerun and never touching sync conflicts', async () => {
    const c = await city();
    const card = c.issued(13, 1_000);
    c.clock.set(MORNING);
    c.library.pay(card, 'library_fine', 400, { post: 'unanswered' });
    await c.syncAll();
    await c.db.insertInto('exceptions').values({ kind: 'sync_conflict', severity: 'critical', kiosk_id: c.library.kiosk_id, card_ref: null, tx_id: null, business_date: DATE, explanation: 'x', detail: '{}', raised_at: MORNING }).execute();
    await c.reconcile();
    await c.reconcile();
    expect(await countRows(c.store, 'exceptions')).toBe(2);
    const stored = await c.db.selectFrom('exceptions').select(['kind', 'business_date']).orderBy('kind').execute();
    expect(stored).toEqual([
      { kind: 'service_unacknowledged', business_date: DATE },
      { kind: 'sync_conflict', business_date: DATE },
    ]);
    c.clock.set(TOMORROW);
    c.library.ledger.append({ kind: 'service_result', tx_id: (await c.db.selectFrom('entries').select('tx_id').where('kind', '=', 'service_post').executeTakeFirstOrThrow()).tx_id!, outcome: 'accepted' });
    await c.syncAll();
    await c.reconcile();
    expect((await c.db.selectFrom('exceptions').select('kind').execute()).map((r) => r.kind)).toEqual(['sync_conflict']);
  });

  it('a day without any entry reconciles to zeros', async () => {
    const c = await city();
    const s = await c.reconcile('2026-02-01');
    expect(s.exceptions).toEqual([]);
    expect(s.liability).toMatchObject({ start_minor: 0, end_minor: 0, holds: true });
    expect(s.revenue.hourly_net_minor).toHaveLength(24);
  });
});
