import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { KyselyDownlinkRepository } from '../../../src/backoffice/downlink/kysely-repository';
import { findReplacement, reportLostCard } from '../../../src/backoffice/lost-card/replacements';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import { forEachStore } from '../../support/backoffice-stores';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../../support/reconcile-scenario';

// Lost card (issue 9 point 8), end to end in the back office: a card with a
// history, reported lost (hotlisted, its reconciled balance authorised for a
// replacement), the replacement credited on a new card at an attendant desk,
// and a late debit of the old card from an offline kiosk synced afterwards.

const DATE = '2026-03-02';
const TZ = 'America/Chicago';
const YESTERDAY = '2026-03-01T18:00:00.000Z';
const MORNING = '2026-03-02T15:00:00.000Z';
const LOST_AT = new Date('2026-03-02T16:00:00.000Z');
const AFTERNOON = '2026-03-02T19:00:00.000Z';

const cardRef = (n: number) => n.toString(16).padStart(2, '0').repeat(16);

forEachStore('lost card', (t) => {
  async function city() {
    const store = t.store;
    const clock = new ScenarioClock(YESTERDAY);
    const library = new ScenarioKiosk('Central Library', clock);
    const parking = new ScenarioKiosk('Parking East (offline)', clock);
    const desk = new ScenarioKiosk('City Hall desk', clock);
    for (const k of [library, parking, desk]) await k.enroll(store);
    const old = new TestCard(cardRef(1), 0, 1);
    const shift = desk.openShift(0);
    desk.pay(old, 'opening_balance', 2_000, { shift_id: shift });
    desk.closeShift(shift, 2_000);
    library.pay(old, 'library_fine', 350);
    clock.set(MORNING);
    library.pay(old, 'library_fine', 100);
    await library.sync(store);
    await desk.sync(store);
    const out = mkdtempSync(join(tmpdir(), 'civicard-lost-'));
    return { store, clock, library, parking, desk, old, out };
  }

  it('hotlists the card, authorises its reconciled balance once, and a late offline debit of the old card is an exception while the liability holds', async () => {
    const c = await city();
    const lost = await reportLostCard(c.store, { card_ref: c.old.card_ref, now: LOST_AT });
    // What the card holds by its last counter: 2,000 − 350 − 100.
    expect(lost).toMatchObject({ old_card_ref: c.old.card_ref, amount_minor: 1_550, status: 'pending', hotlist_version: 1 });
    expect(lost.code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(await KyselyDownlinkRepository.on(c.store.db).hotlistChangesAfter(0)).toMatchObject([{ version: 1, card_ref: c.old.card_ref, action: 'add' }]);
    // Reported twice: the same pending authorisation, not a second one.
    expect(await reportLostCard(c.store, { card_ref: c.old.card_ref, now: LOST_AT })).toMatchObject({ id: lost.id, code: lost.code, amount_minor: 1_550 });

    // The desk credits the replacement onto a new card; the back office marks the authorisation used on ingest.
    c.clock.set('2026-03-02T17:00:00.000Z');
    const fresh = new TestCard(cardRef(2), 0, 1);
    const replacementTx = c.desk.pay(fresh, 'replacement', lost.amount_minor, { service_ref: lost.id });
    expect((await findReplacement(c.store, lost.code))!.status).toBe('pending');
    await c.desk.sync(c.store);
    expect(await findReplacement(c.store, lost.code)).toMatchObject({ status: 'used', used_tx_id: replacementTx, used_by_kiosk: c.desk.kiosk_id });

    // An offline kiosk still accepted the old card after it was hotlisted, and syncs in the evening.
    c.clock.set(AFTERNOON);
    const late = c.parking.pay(c.old, 'parking', 200);
    await c.parking.sync(c.store);

    const s = await reconcileDay(c.store, { date: DATE, time_zone: TZ, out: c.out });
    const lateDebits = s.exceptions.filter((e) => e.kind === 'late_debit_after_hotlist');
    expect(lateDebits).toHaveLength(1);
    expect(lateDebits[0]).toMatchObject({ severity: 'warning', kiosk_id: c.parking.kiosk_id, card_ref: c.old.card_ref, tx_id: late });
    expect(lateDebits[0]!.explanation).toMatch(/Parking East \(offline\) took 200 from card 01010101… after it was hotlisted as lost .*replacement of 1,550.*the city paid 200 twice/);
    expect(lateDebits[0]!.detail).toMatchObject({ amount_minor: 200, amount_at_risk_minor: 200, replacement_id: lost.id });
    // The fine paid before the card was hotlisted is not one.
    expect(s.exceptions.map((e) => e.kind)).not.toContain('replacement_used_twice');
    expect(s.totals.replacements_minor).toBe(1_550);
    expect(s.liability).toMatchObject({ replacements_minor: 1_550, holds: true });
    // The card's own history: the exception is stored against the old card reference.
    const history = await c.store.db.selectFrom('exceptions').select(['kind', 'tx_id']).where('card_ref', '=', c.old.card_ref).execute();
    expect(history).toEqual([{ kind: 'late_debit_after_hotlist', tx_id: late }]);
  });

  it('a second use of the same authorisation (made offline) is a critical exception; a credit naming no authorisation too', async () => {
    const c = await city();
    const lost = await reportLostCard(c.store, { card_ref: c.old.card_ref, now: LOST_AT });
    c.clock.set('2026-03-02T17:00:00.000Z');
    c.desk.pay(new TestCard(cardRef(2), 0, 1), 'replacement', lost.amount_minor, { service_ref: lost.id });
    const other = new ScenarioKiosk('Library desk (offline)', c.clock);
    await other.enroll(c.store);
    const twice = other.pay(new TestCard(cardRef(3), 0, 1), 'replacement', lost.amount_minor, { service_ref: lost.id });
    const forged = other.pay(new TestCard(cardRef(4), 0, 1), 'replacement', 500, { service_ref: 'not-an-authorisation' });
    await c.desk.sync(c.store);
    await other.sync(c.store);
    const s = await reconcileDay(c.store, { date: DATE, time_zone: TZ, out: c.out });
    expect(s.exceptions.filter((e) => e.kind === 'replacement_used_twice')).toMatchObject([{ severity: 'critical', tx_id: twice, kiosk_id: other.kiosk_id }]);
    expect(s.exceptions.filter((e) => e.kind === 'replacement_not_authorised')).toMatchObject([{ severity: 'critical', tx_id: forged }]);
    expect(s.liability.holds).toBe(true);
  });

  it('refuses a card the back office has never seen, and a malformed card reference', async () => {
    const c = await city();
    await expect(reportLostCard(c.store, { card_ref: cardRef(9), now: LOST_AT })).rejects.toThrow(/no transactions of card 09090909… are held/);
    await expect(reportLostCard(c.store, { card_ref: 'ABC', now: LOST_AT })).rejects.toThrow(/not a card reference/);
  });
});
