// Staff at the attendant station, for the recovery harness: the same event
// sequences as the demo's booth (src/kiosk/demo/sim-attendant.ts), but every
// screen answered the way staff would, since a torn card can land the station
// on any of them (card unreadable, removed, uncertain: tap the same card again).
import { waitFor, type SnapshotFrom } from 'xstate';
import type { AttendantStation } from '../../src/kiosk/runtime/attendant-station';
import type { CardHand } from '../../src/kiosk/demo/resident-visit';

type Snapshot = SnapshotFrom<AttendantStation>;
const STEP_TIMEOUT_MS = 20_000;
const MAX_STEPS = 100;

export interface Staff {
  attendant: CardHand;
  supervisor: CardHand;
  pins: { attendant: string; supervisor: string };
}

export type AttendantOutcome = 'committed' | 'aborted' | 'unresolved' | 'refused' | 'skipped';

const at = (actor: AttendantStation, state: object | string) => waitFor(actor, (s) => s.matches(state as never), { timeout: STEP_TIMEOUT_MS });
const idleStaff = (s: Snapshot) => Object.keys(s.children).length === 0;
const tick = () => new Promise((r) => setImmediate(r));

async function tap(actor: AttendantStation, hand: CardHand, until: (s: Snapshot) => boolean): Promise<void> {
  await hand.present();
  await waitFor(actor, until, { timeout: STEP_TIMEOUT_MS });
  await hand.withdraw();
}

export async function signInAndOpenShift(actor: AttendantStation, staff: Staff, opening_float_minor: number): Promise<void> {
  await at(actor, { signedOut: 'waitingForStaffCard' });
  await tap(actor, staff.attendant, (s) => s.matches({ signedOut: 'enteringPin' }));
  actor.send({ type: 'PIN_ENTERED', pin: staff.pins.attendant });
  await at(actor, { signedIn: 'shiftClosed' });
  actor.send({ type: 'OPEN_SHIFT', opening_float_minor });
  await at(actor, { signedIn: 'menu' });
}

/** The blind close: staff count what the drawer holds (here: what the ledger expects). */
export async function closeShift(actor: AttendantStation, counted: (shift_id: string) => number): Promise<void> {
  await at(actor, { signedIn: 'menu' });
  const shift_id = actor.getSnapshot().context.shift?.shift_id;
  if (!shift_id) throw new Error('no shift is open');
  actor.send({ type: 'CLOSE_SHIFT' });
  await at(actor, { signedIn: 'countingCash' });
  actor.send({ type: 'CASH_COUNTED', counted_minor: counted(shift_id) });
  await at(actor, { signedIn: 'shiftSummary' });
  actor.send({ type: 'ACK' });
  await at(actor, { signedOut: 'waitingForStaffCard' });
}

/**
 * A top-up (`amount_minor`) or a void of the last top-up (amount null), from
 * the menu back to the menu, whatever the card did on the way.
 */
export async function cardOperation(actor: AttendantStation, staff: Staff, card: CardHand, amount_minor: number | null): Promise<AttendantOutcome> {
  await at(actor, { signedIn: 'menu' });
  actor.send({ type: amount_minor === null ? 'VOID_LAST' : 'TOP_UP' });
  if (actor.getSnapshot().matches({ signedIn: 'menu' })) return 'skipped'; // nothing left to void
  let outcome: AttendantOutcome = 'refused';
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const s = await waitFor(actor, idleStaff, { timeout: STEP_TIMEOUT_MS });
    if (s.matches({ signedIn: 'menu' })) {
      await card.withdraw();
      return outcome;
    }
    if (s.matches({ signedIn: { topUp: 'waitingForCard' } }) || s.matches({ signedIn: { void: 'waitingForCard' } })) {
      await card.withdraw();
      await card.present();
      await waitFor(actor, (x) => !x.matches({ signedIn: { topUp: 'waitingForCard' } }) && !x.matches({ signedIn: { void: 'waitingForCard' } }), { timeout: STEP_TIMEOUT_MS });
    } else if (s.matches({ signedIn: { topUp: 'enteringAmount' } })) {
      // The card cannot take that much: staff tell the resident and go back to the menu.
      if (s.context.notice?.key === 'topup.amount_invalid') actor.send({ type: 'CANCEL' });
      else actor.send({ type: 'AMOUNT_ENTERED', amount_minor: amount_minor ?? 0 });
    }
    else if (s.matches({ signedIn: { topUp: 'confirming' } })) actor.send({ type: 'CONFIRM' });
    else if (s.matches({ signedIn: { void: 'waitingForSupervisorCard' } })) {
      await card.withdraw();
      await tap(actor, staff.supervisor, (x) => !x.matches({ signedIn: { void: 'waitingForSupervisorCard' } }) && idleStaff(x));
    } else if (s.matches({ signedIn: { void: 'enteringSupervisorPin' } })) actor.send({ type: 'PIN_ENTERED', pin: staff.pins.supervisor });
    else if (s.matches({ signedIn: { cardTxn: { uncertain: 'waitingForSameCard' } } })) {
      await card.withdraw();
      await card.present(); // "tap the same card again"
      await waitFor(actor, (x) => !x.matches({ signedIn: { cardTxn: { uncertain: 'waitingForSameCard' } } }), { timeout: STEP_TIMEOUT_MS });
    } else {
      if (s.matches({ signedIn: { cardTxn: 'done' } })) outcome = 'committed';
      else if (s.matches({ signedIn: { cardTxn: 'aborted' } })) outcome = 'aborted';
      else if (s.matches({ signedIn: { cardTxn: { uncertain: 'unresolved' } } })) outcome = 'unresolved';
      await card.withdraw();
      actor.send({ type: 'ACK' });
    }
    await tick();
  }
  throw new Error(`the attendant operation did not end; station at ${JSON.stringify(actor.getSnapshot().value)}`);
}

/** The card read at the top-up screen, then cancelled: the station settles what it can for this card. */
export async function tapAndCancel(actor: AttendantStation, card: CardHand): Promise<void> {
  await at(actor, { signedIn: 'menu' });
  actor.send({ type: 'TOP_UP' });
  await at(actor, { signedIn: { topUp: 'waitingForCard' } });
  await card.present();
  await waitFor(actor, (s) => idleStaff(s) && !s.matches({ signedIn: { topUp: 'waitingForCard' } }), { timeout: STEP_TIMEOUT_MS });
  if (actor.getSnapshot().matches({ signedIn: { topUp: 'cardRefused' } })) actor.send({ type: 'ACK' });
  else actor.send({ type: 'CANCEL' });
  await card.withdraw();
  await at(actor, { signedIn: 'menu' });
}
