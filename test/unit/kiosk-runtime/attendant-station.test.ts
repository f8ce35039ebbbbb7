import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { Purse } from '../../../src/card/purse';
import { CardStation, cardRefOf } from '../../../src/kiosk/runtime/card-station';
import { startAttendantStation, type AttendantStation } from '../../../src/kiosk/runtime/attendant-station';
import { PinAttempts } from '../../../src/kiosk/runtime/pin-attempts';
import { hashPin, StaffRoster } from '../../../src/kiosk/runtime/staff';
import { verifyLedger } from '../../../src/ledger';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { issuedSimCard, vaultFor } from '../../support/card-fixtures';
import { tempLedger } from '../../support/ledger-fixtures';

const REF_KEY = Buffer.alloc(32, 3);
const refOf = (card: { card_number: Buffer }) => cardRefOf(card.card_number, REF_KEY);

interface StationCards {
  resident: Awaited<ReturnType<typeof issuedSimCard>>;
  attendantCard: DesfireSim;
  supervisorCard: DesfireSim;
  refs: { attendant: string; supervisor: string };
}

async function newCards(): Promise<StationCards> {
  const resident = await issuedSimCard(500);
  const [attendant, supervisor] = [await issuedSimCard(0, resident.keys), await issuedSimCard(0, resident.keys)];
  return { resident, attendantCard: attendant.sim, supervisorCard: supervisor.sim, refs: { attendant: refOf(attendant), supervisor: refOf(supervisor) } };
}

/** A station whose wrong-PIN counts live in `dir`; the same dir and cards again stand for a restart. */
async function station(dir = mkdtempSync(join(tmpdir(), 'civicard-booth-')), cards?: StationCards) {
  const { resident, attendantCard, supervisorCard, refs } = cards ?? (await newCards());
  const keys = resident.keys;
  const attempts = PinAttempts.open(join(dir, 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 });
  const roster = new StaffRoster(
    [
      { staff_ref: 'staff-17', role: 'attendant', card_ref: refs.attendant, pin_hash: hashPin('2468') },
      { staff_ref: 'staff-02', role: 'supervisor', card_ref: refs.supervisor, pin_hash: hashPin('9999') },
    ],
    attempts,
  );
  const reader = new FakeCardReader();
  const { ledger } = tempLedger();
  const printer = new SimPrinterTransport();
  const actor = await startAttendantStation({
    reader,
    station: new CardStation({ reader, vault: vaultFor(keys, ['credit', 'read']), terminal_id: 20, card_ref_key: REF_KEY, ledger }),
    roster,
    ledger,
    printer: new EscPosPrinter(printer),
    receipt: { kiosk_id: 'A-LOT-4', location_label: 'Lot 4 booth', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
    language: () => 'en',
    now: () => new Date(),
  });
  const balance = async () => (await new Purse(new InMemoryCardTransport(resident.sim), { vault: vaultFor(keys, ['debit', 'read']) }).read()).balance_minor;
  return { actor, reader, ledger, printer, resident: resident.sim, attendantCard, supervisorCard, balance, cards: { resident, attendantCard, supervisorCard, refs } };
}

const at = (actor: AttendantStation, state: object | string) => waitFor(actor, (s) => s.matches(state as never), { timeout: 5_000 });

async function tap(reader: FakeCardReader, actor: AttendantStation, card: DesfireSim, until: object | string) {
  reader.insertCard(card);
  await at(actor, until);
  reader.removeCard();
}

describe('attendant station with real cards, ledger and printer', () => {
  it('runs a shift: sign-in, two cash top-ups, a supervisor void, a blind close with over/short', async () => {
    const { actor, reader, ledger, printer, resident, attendantCard, supervisorCard, balance } = await station();
    await at(actor, { signedOut: 'waitingForStaffCard' });
    await tap(reader, actor, attendantCard, { signedOut: 'enteringPin' });
    actor.send({ type: 'PIN_ENTERED', pin: '2468' });
    await at(actor, { signedIn: 'shiftClosed' });
    actor.send({ type: 'OPEN_SHIFT', opening_float_minor: 5_000 });
    await at(actor, { signedIn: 'menu' });

    for (const amount_minor of [1_000, 500]) {
      actor.send({ type: 'TOP_UP' });
      reader.insertCard(resident);
      await at(actor, { signedIn: { topUp: 'enteringAmount' } });
      actor.send({ type: 'AMOUNT_ENTERED', amount_minor });
      actor.send({ type: 'CONFIRM' });
      await at(actor, { signedIn: { cardTxn: 'done' } });
      reader.removeCard();
      actor.send({ type: 'ACK' });
      await at(actor, { signedIn: 'menu' });
    }
    expect(await balance()).toBe(2_000);

    actor.send({ type: 'VOID_LAST' });
    await tap(reader, actor, supervisorCard, { signedIn: { void: 'enteringSupervisorPin' } });
    actor.send({ type: 'PIN_ENTERED', pin: '9999' });
    await at(actor, { signedIn: { void: 'waitingForCard' } });
    reader.insertCard(resident);
    await at(actor, { signedIn: { cardTxn: 'done' } });
    reader.removeCard();
    actor.send({ type: 'ACK' });
    await at(actor, { signedIn: 'menu' });
    expect(await balance()).toBe(1_500);

    actor.send({ type: 'CLOSE_SHIFT' });
    await at(actor, { signedIn: 'countingCash' });
    actor.send({ type: 'CASH_COUNTED', counted_minor: 6_400 });
    const summary = await at(actor, { signedIn: 'shiftSummary' });
    expect(summary.context.close).toMatchObject({ expected_minor: 6_000, counted_minor: 6_400, over_short_minor: 400 });

    const kinds = ledger.entriesSince(0).map((e) => e.payload.kind);
    expect(kinds).toEqual(['shift_opened', 'credit_intent', 'credit_committed', 'credit_intent', 'credit_committed', 'intent', 'committed', 'shift_closed']);
    expect(verifyLedger(ledger.db).ok).toBe(true);
    expect(printer.core.receipts.length).toBe(3);
    actor.stop();
  });

  it('refuses a card that is not on the staff roster, and a wrong PIN', async () => {
    const { actor, reader, resident, attendantCard } = await station();
    await at(actor, { signedOut: 'waitingForStaffCard' });
    await tap(reader, actor, resident, { signedOut: 'staffCardRefused' });
    actor.send({ type: 'ACK' });
    await at(actor, { signedOut: 'waitingForStaffCard' });
    await tap(reader, actor, attendantCard, { signedOut: 'enteringPin' });
    actor.send({ type: 'PIN_ENTERED', pin: '0000' });
    await waitFor(actor, (s) => s.context.notice?.key === 'pin.wrong', { timeout: 5_000 });
    actor.stop();
  });

  it('a staff member locked out by wrong PINs is still refused after the station restarts, even with the right PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-booth-'));
    const first = await station(dir);
    await at(first.actor, { signedOut: 'waitingForStaffCard' });
    for (const pin of ['1111', '2222', '3333']) {
      await tap(first.reader, first.actor, first.attendantCard, { signedOut: 'enteringPin' });
      first.actor.send({ type: 'PIN_ENTERED', pin });
      await waitFor(first.actor, (s) => !s.matches({ signedOut: 'verifyingPin' }), { timeout: 5_000 });
      if (first.actor.getSnapshot().matches({ signedOut: 'enteringPin' })) first.actor.send({ type: 'CANCEL' });
    }
    await at(first.actor, { signedOut: 'lockedOut' });
    first.actor.stop();

    const restarted = await station(dir, first.cards);
    await at(restarted.actor, { signedOut: 'waitingForStaffCard' });
    await tap(restarted.reader, restarted.actor, restarted.attendantCard, { signedOut: 'enteringPin' });
    restarted.actor.send({ type: 'PIN_ENTERED', pin: '2468' });
    // The restarted station says why: locked out, not a wrong PIN.
    await at(restarted.actor, { signedOut: 'lockedOut' });
    expect(restarted.actor.getSnapshot().context.notice?.key).toBe('pin.locked_out');
    expect(restarted.actor.getSnapshot().matches('signedIn')).toBe(false);
    restarted.actor.stop();
  });
});
