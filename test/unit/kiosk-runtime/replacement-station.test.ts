import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeStore } from '../../../src/backoffice/db/connect';
import { findReplacement, reportLostCard } from '../../../src/backoffice/lost-card/replacements';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import { buildServer } from '../../../src/backoffice/server';
import { Purse } from '../../../src/card/purse';
import { CardStation, cardRefOf } from '../../../src/kiosk/runtime/card-station';
import { startAttendantStation, type AttendantStation } from '../../../src/kiosk/runtime/attendant-station';
import { PinAttempts } from '../../../src/kiosk/runtime/pin-attempts';
import type { BackOfficeLink } from '../../../src/kiosk/runtime/replacement-client';
import { hashPin, StaffRoster } from '../../../src/kiosk/runtime/staff';
import { verifyLedger } from '../../../src/ledger';
import { syncOnce } from '../../../src/sync/client';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { issuedSimCard, vaultFor } from '../../support/card-fixtures';
import { tempLedger } from '../../support/ledger-fixtures';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../../support/reconcile-scenario';

// A lost card's replacement at a real attendant station (real card, ledger,
// printer) against a real back office on loopback: the authorised amount, and
// only it, goes on the new card, outside the cash shift; used, unknown and
// offline are refused with nothing moved.

const REF_KEY = Buffer.alloc(32, 3);
const LOST = 1_750;

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function backOffice(lostRef: string) {
  const store: BackOfficeStore = await openBackOfficeDb('sqlite::memory:');
  // The lost card's history, from another station.
  const desk = new ScenarioKiosk('City Hall desk', new ScenarioClock(new Date(Date.now() - 3_600_000).toISOString()));
  await desk.enroll(store);
  desk.pay(new TestCard(lostRef, 0, 1), 'top_up', LOST);
  await desk.sync(store);
  const app = buildServer({ store });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  stops.push(async () => {
    await app.close();
    await store.close();
  });
  return { store, url };
}

async function booth(backoffice?: (key: BackOfficeLink['key']) => BackOfficeLink) {
  // The new card is issued empty (an issuance the back office holds no entry of, which only a zero balance can be).
  const resident = await issuedSimCard(0);
  const keys = resident.keys;
  const lost = await issuedSimCard(0, keys);
  const attendant = await issuedSimCard(0, keys);
  const dir = mkdtempSync(join(tmpdir(), 'civicard-replace-'));
  const roster = new StaffRoster(
    [{ staff_ref: 'staff-17', role: 'attendant', card_ref: cardRefOf(attendant.card_number, REF_KEY), pin_hash: hashPin('2468') }],
    PinAttempts.open(join(dir, 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 }),
  );
  const reader = new FakeCardReader();
  const { ledger, key } = tempLedger();
  const actor = await startAttendantStation({
    reader,
    station: new CardStation({ reader, vault: vaultFor(keys, ['credit', 'read']), terminal_id: 20, card_ref_key: REF_KEY, ledger }),
    roster,
    ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    receipt: { kiosk_id: 'A-LOT-4', location_label: 'Lot 4 booth', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
    language: () => 'en',
    now: () => new Date(),
    ...(backoffice ? { backoffice: backoffice(key) } : {}),
  });
  stops.push(async () => void actor.stop());
  const balance = async (card: DesfireSim) => (await new Purse(new InMemoryCardTransport(card), { vault: vaultFor(keys, ['debit', 'read']) }).read()).balance_minor;
  const at = (state: object | string) => waitFor(actor, (s) => s.matches(state as never), { timeout: 5_000 });
  await at({ signedOut: 'waitingForStaffCard' });
  reader.insertCard(attendant.sim);
  await at({ signedOut: 'enteringPin' });
  reader.removeCard();
  actor.send({ type: 'PIN_ENTERED', pin: '2468' });
  await at({ signedIn: 'shiftClosed' });
  actor.send({ type: 'OPEN_SHIFT', opening_float_minor: 5_000 });
  await at({ signedIn: 'menu' });
  const shift_id = actor.getSnapshot().context.shift!.shift_id;
  return { actor, reader, ledger, key, at, balance, resident: resident.sim, lost: lost.sim, lostRef: cardRefOf(lost.card_number, REF_KEY), shift_id };
}

const noticeOf = (actor: AttendantStation) => actor.getSnapshot().context.notice?.key;

async function enterCode(b: Awaited<ReturnType<typeof booth>>, code: string) {
  b.actor.send({ type: 'REPLACE_CARD' });
  await b.at({ signedIn: { replacement: 'enteringCode' } });
  b.actor.send({ type: 'CODE_ENTERED', code });
  await waitFor(b.actor, (s) => !s.matches({ signedIn: { replacement: 'fetching' } }), { timeout: 5_000 });
}

describe('a lost card replaced at the attendant station', () => {
  it('credits exactly the authorised amount to the new card, outside the cash shift; the back office marks it used on sync and refuses the code after; a late offline debit of the lost card is that night’s exception and in its history', async () => {
    let serverUrl = '';
    // The back office holds the lost card's history, so it starts after the cards exist.
    const b = await booth((key) => ({ get serverUrl() { return serverUrl; }, key }));
    const bo = await backOffice(b.lostRef);
    serverUrl = bo.url;
    await enrollKiosk(bo.store, { publicKeyPem: b.key.publicKeyPem, name: 'Lot 4 booth', by: 'test' });
    const auth = await reportLostCard(bo.store, { card_ref: b.lostRef });
    expect(auth.amount_minor).toBe(LOST);
    const cashBefore = b.ledger.shiftExpectedCashMinor(b.shift_id);

    await enterCode(b, auth.code.toLowerCase());
    expect(b.actor.getSnapshot().matches({ signedIn: { replacement: 'waitingForCard' } }), String(noticeOf(b.actor))).toBe(true);
    // The lost card itself is not its own replacement.
    b.reader.insertCard(b.lost);
    await waitFor(b.actor, () => noticeOf(b.actor) === 'replacement.same_card', { timeout: 5_000 });
    b.reader.removeCard();
    b.reader.insertCard(b.resident);
    await b.at({ signedIn: { replacement: 'confirming' } });
    b.actor.send({ type: 'CONFIRM' });
    await b.at({ signedIn: { cardTxn: 'done' } });
    b.reader.removeCard();
    b.actor.send({ type: 'ACK' });
    await b.at({ signedIn: 'menu' });

    expect(await b.balance(b.resident)).toBe(LOST);
    const entries = b.ledger.entriesSince(0).filter((e) => e.payload.kind === 'credit_intent' || e.payload.kind === 'credit_committed');
    expect(entries.map((e) => e.payload)).toMatchObject([
      { kind: 'credit_intent', service: 'replacement', amount_minor: LOST, balance_before_minor: 0, expected_balance_after_minor: LOST, service_ref: auth.id, shift_id: null },
      { kind: 'credit_committed', balance_after_minor: LOST },
    ]);
    // No cash changed hands: the drawer expects what it did before.
    expect(b.ledger.shiftExpectedCashMinor(b.shift_id)).toBe(cashBefore);
    expect(b.actor.getSnapshot().context.last_top_up).toBeNull();
    expect(verifyLedger(b.ledger.db).ok).toBe(true);

    expect((await findReplacement(bo.store, auth.code))!.status).toBe('pending');
    // Before this ledger syncs the back office still says pending: the station itself refuses a second use.
    const unsynced = b.ledger.lastEntry()!.seq;
    await enterCode(b, auth.code);
    expect(noticeOf(b.actor)).toBe('replacement.already_used');
    b.actor.send({ type: 'CANCEL' });
    await b.at({ signedIn: 'menu' });
    expect(b.ledger.lastEntry()!.seq).toBe(unsynced);
    const report = await syncOnce({ ledger: b.ledger, serverUrl: bo.url, key: b.key });
    expect(report.pending).toBe(0);
    expect(await findReplacement(bo.store, auth.code)).toMatchObject({ status: 'used', used_by_kiosk: expect.any(String) });

    // That evening a kiosk that was offline syncs a debit of the lost card taken after it was hotlisted.
    const offline = new ScenarioKiosk('Parking East (offline)', new ScenarioClock(new Date(Date.now() + 60_000).toISOString()));
    await offline.enroll(bo.store);
    const late = offline.pay(new TestCard(b.lostRef, LOST, 2), 'parking', 300);
    await offline.sync(bo.store);
    const night = await reconcileDay(bo.store, { date: new Date().toISOString().slice(0, 10), time_zone: 'UTC', out: mkdtempSync(join(tmpdir(), 'civicard-replace-night-')) });
    expect(night.exceptions.filter((e) => e.kind === 'late_debit_after_hotlist')).toMatchObject([{ card_ref: b.lostRef, tx_id: late, detail: { amount_minor: 300, amount_at_risk_minor: 300, replacement_id: auth.id } }]);
    expect(night.exceptions.map((e) => e.kind)).not.toContain('replacement_used_twice');
    expect(night.totals.replacements_minor).toBe(LOST);
    expect(night.liability.holds).toBe(true);
    expect(await bo.store.db.selectFrom('exceptions').select('kind').where('card_ref', '=', b.lostRef).execute()).toEqual([{ kind: 'late_debit_after_hotlist' }]);

    // The same code again: refused by the back office, nothing written, nothing moved.
    const before = b.ledger.lastEntry()!.seq;
    await enterCode(b, auth.code);
    expect(noticeOf(b.actor)).toBe('replacement.already_used');
    expect(b.actor.getSnapshot().matches({ signedIn: { replacement: 'enteringCode' } })).toBe(true);
    await enterCode(b, 'ZZZZ-ZZZZ');
    expect(noticeOf(b.actor)).toBe('replacement.unknown_code');
    b.actor.send({ type: 'CANCEL' });
    await b.at({ signedIn: 'menu' });
    expect(b.ledger.lastEntry()!.seq).toBe(before);
    expect(await b.balance(b.resident)).toBe(LOST);
  });

  it('offline (no back office configured, or none answering) the replacement is refused clearly and no money moves', async () => {
    for (const link of [undefined, (key: BackOfficeLink['key']) => ({ serverUrl: 'http://127.0.0.1:9', key, timeoutMs: 1_000 })]) {
      const b = await booth(link);
      const before = b.ledger.lastEntry()!.seq;
      await enterCode(b, 'ABCD-EFGH');
      expect(noticeOf(b.actor)).toBe('replacement.offline');
      expect(b.actor.getSnapshot().matches({ signedIn: { replacement: 'enteringCode' } })).toBe(true);
      expect(b.ledger.lastEntry()!.seq).toBe(before);
    }
  });
});
