// The attendant machine's model: concrete events (every outcome of every
// actor), the context its guards read, and a driver with happy defaults.
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { attendantMachine, type AttendantContext, type AttendantInput } from '../../../../src/kiosk/machines/attendant';
import { err, ok, type CardWriteResult, type CloseShiftResult, type FetchReplacementResult, type ReadCardResult, type ReadStaffCardResult, type ReplacementAuth, type StaffCard } from '../../../../src/kiosk/machines/contracts';
import { Driver, type Responder } from './driver';
import { CARD, EVIDENCE, done, failure, out } from './fixtures';

export const ATTENDANT_ACTORS = [
  'readStaffCard',
  'verifyPin',
  'openShift',
  'closeShift',
  'readCard',
  'allocateTxId',
  'writeIntent',
  'creditCard',
  'debitCard',
  'recordCommitted',
  'recordAborted',
  'recordUncertain',
  'settleUncertain',
  'printReceipt',
  'fetchReplacement',
] as const;

export const ATTENDANT: StaffCard = { staff_ref: 'staff-7', role: 'attendant', masked_serial: 'S-**07' };
export const SUPERVISOR: StaffCard = { staff_ref: 'staff-2', role: 'supervisor', masked_serial: 'S-**02' };
export const SHIFT_ID = 'shift-1';
export const TOP_UP_TX = 'tx-topup-1';
export const TOP_UP_MINOR = 1_000;
export const FLOAT_MINOR = 5_000;
export const ATTENDANT_TIMEOUTS = {
  idle_ms: 60_000,
  warning_ms: 15_000,
  lockout_ms: 300_000,
  void_window_ms: 3_600_000,
  same_card_ms: 120_000,
  done_ms: 5_000,
  card_watchdog_ms: 15_000,
};

export const REPLACEMENT: ReplacementAuth = { id: 'repl-1', old_card_ref: 'card-ref-LOST', amount_minor: 1_750 };
const TOPPED_UP: ReadCardResult = ok({ ...CARD, balance_minor: CARD.balance_minor + TOP_UP_MINOR });
export const a = {
  staffAttendant: ok(ATTENDANT) satisfies ReadStaffCardResult,
  staffSupervisor: ok(SUPERVISOR) satisfies ReadStaffCardResult,
  notStaff: err('not_a_staff_card') satisfies ReadStaffCardResult,
  pinAccepted: { status: 'accepted' } as const,
  pinRejected: { status: 'rejected' } as const,
  pinUnavailable: { status: 'unavailable' } as const,
  pinLockedOut: { status: 'locked_out' } as const,
  shiftOpened: ok({ shift_id: SHIFT_ID }),
  shiftClosed: ok({ shift_id: SHIFT_ID, expected_minor: 6_000, counted_minor: 5_900, over_short_minor: -100 }) satisfies CloseShiftResult,
  card: out.readOk,
  toppedUpCard: TOPPED_UP,
  hotlistedCard: ok({ ...CARD, hotlisted: true }) satisfies ReadCardResult,
  otherCard: ok({ ...CARD, card_ref: 'card-ref-B' }) satisfies ReadCardResult,
  spentCard: ok({ ...CARD, balance_minor: 100 }) satisfies ReadCardResult,
  committed: { status: 'committed', evidence: { ...EVIDENCE, balance_after_minor: 3_000 } } satisfies CardWriteResult,
  overLimit: { status: 'refused', reason: 'over_purse_limit' } satisfies CardWriteResult,
  uncertain: { status: 'uncertain', reason: 'card_removed' } satisfies CardWriteResult,
  replacement: ok(REPLACEMENT) satisfies FetchReplacementResult,
  replacementOffline: err('offline') satisfies FetchReplacementResult,
  replacementUsed: err('already_used') satisfies FetchReplacementResult,
  lostCard: ok({ ...CARD, card_ref: REPLACEMENT.old_card_ref }) satisfies ReadCardResult,
  fullCard: ok({ ...CARD, balance_minor: 49_000 }) satisfies ReadCardResult,
} as const;

const user: EventObject[] = [
  ...['TOUCH', 'CANCEL', 'BACK', 'ACK', 'CONFIRM', 'SIGN_OUT', 'CARD_PRESENTED', 'CARD_REMOVED', 'TOP_UP', 'VOID_LAST', 'CLOSE_SHIFT', 'VOID_WINDOW_ELAPSED', 'REPLACE_CARD'].map(
    (type) => ({ type }),
  ),
  { type: 'PIN_ENTERED', pin: '2468' },
  { type: 'OPEN_SHIFT', opening_float_minor: FLOAT_MINOR },
  { type: 'OPEN_SHIFT', opening_float_minor: -1 },
  { type: 'AMOUNT_ENTERED', amount_minor: TOP_UP_MINOR },
  { type: 'AMOUNT_ENTERED', amount_minor: 10.5 },
  { type: 'CASH_COUNTED', counted_minor: 5_900 },
  { type: 'CASH_COUNTED', counted_minor: -5 },
  { type: 'CODE_ENTERED', code: 'ABCD-2345' },
] as EventObject[];

const staffOutcomes = (id: string): EventObject[] => [done(id, a.staffAttendant), done(id, a.staffSupervisor), done(id, a.notStaff), failure(id)];
const pinOutcomes = (id: string): EventObject[] => [done(id, a.pinAccepted), done(id, a.pinRejected), done(id, a.pinLockedOut), done(id, a.pinUnavailable), failure(id)];
const ledger = (id: string): EventObject[] => [done(id, out.ledgerOk), done(id, out.ledgerDown), done(id, out.ledgerFault), failure(id)];
const cardWrite = (id: string): EventObject[] => [done(id, a.committed), done(id, a.overLimit), done(id, a.uncertain), failure(id)];

export const ATTENDANT_EVENTS: EventObject[] = [
  ...user,
  ...staffOutcomes('readStaffCard'),
  ...staffOutcomes('readSupervisorCard'),
  ...pinOutcomes('verifyPin'),
  ...pinOutcomes('verifySupervisorPin'),
  done('openShift', a.shiftOpened),
  done('openShift', out.ledgerDown),
  failure('openShift'),
  done('readCard', a.card),
  done('readCard', a.hotlistedCard),
  done('readCard', out.readUnreadable),
  failure('readCard'),
  done('readVoidCard', a.toppedUpCard),
  done('readVoidCard', a.otherCard),
  done('readVoidCard', a.spentCard),
  done('readVoidCard', out.readRemoved),
  failure('readVoidCard'),
  done('allocateTxId', TOP_UP_TX),
  failure('allocateTxId'),
  ...ledger('writeIntent'),
  ...cardWrite('creditCard'),
  ...cardWrite('debitCard'),
  ...ledger('recordCommitted'),
  ...ledger('recordAborted'),
  ...ledger('recordUncertain'),
  done('settleUncertain', out.settleCommitted),
  done('settleUncertain', out.settleUnknown),
  done('settleUncertain', out.settleNotCommitted),
  done('settleUncertain', out.settleOtherCard),
  done('settleUncertain', out.settleRemoved),
  failure('settleUncertain'),
  done('printReceipt', out.printed),
  done('printReceipt', out.noPaper),
  failure('printReceipt'),
  done('fetchReplacement', a.replacement),
  done('fetchReplacement', a.replacementOffline),
  done('fetchReplacement', a.replacementUsed),
  failure('fetchReplacement'),
  done('readReplacementCard', a.card),
  done('readReplacementCard', a.hotlistedCard),
  done('readReplacementCard', a.lostCard),
  done('readReplacementCard', a.fullCard),
  done('readReplacementCard', out.readUnreadable),
  failure('readReplacementCard'),
  done('closeShift', a.shiftClosed),
  done('closeShift', out.ledgerDown),
  failure('closeShift'),
];

export function attendantKey(s: AnyMachineSnapshot): unknown {
  const c = s.context as AttendantContext;
  return {
    attempts: c.pin_attempts,
    shift: c.shift === null ? 'none' : c.shift.staff_ref === c.staff?.staff_ref ? 'own' : 'other',
    role: c.staff?.role ?? null,
    voidable: c.last_top_up !== null,
    present: c.card_present,
    op: c.op,
  };
}

/** The void-window timer is replayed only where it is the one pending timer. */
export function attendantFilter(s: AnyMachineSnapshot, e: EventObject): boolean {
  if (e.type !== 'VOID_WINDOW_ELAPSED') return true;
  const timers = s._nodes.some((n) => n.ownEvents.some((t) => t.startsWith('xstate.after.')));
  return (s.context as AttendantContext).last_top_up !== null && !timers;
}

export const ATTENDANT_HAPPY: Readonly<Record<(typeof ATTENDANT_ACTORS)[number], Responder>> = {
  readStaffCard: () => a.staffAttendant,
  verifyPin: () => a.pinAccepted,
  openShift: () => a.shiftOpened,
  closeShift: () => a.shiftClosed,
  readCard: () => a.card,
  allocateTxId: () => TOP_UP_TX,
  writeIntent: () => out.ledgerOk,
  creditCard: () => a.committed,
  debitCard: () => a.committed,
  recordCommitted: () => out.ledgerOk,
  recordAborted: () => out.ledgerOk,
  recordUncertain: () => out.ledgerOk,
  settleUncertain: () => out.settleCommitted,
  printReceipt: () => out.printed,
  fetchReplacement: () => a.replacement,
};

export function attendantDriver(
  overrides: Partial<Record<(typeof ATTENDANT_ACTORS)[number], Responder>> = {},
  input: AttendantInput = { timeouts: ATTENDANT_TIMEOUTS },
): Driver<typeof attendantMachine> {
  return new Driver(attendantMachine, { actorNames: ATTENDANT_ACTORS, input, responders: { ...ATTENDANT_HAPPY, ...overrides } });
}

/** Staff card + PIN, shift opened with the float: at the menu. */
export async function signedInWithShift(d: Driver<typeof attendantMachine>): Promise<void> {
  await d.act({ type: 'CARD_PRESENTED' });
  await d.act({ type: 'PIN_ENTERED', pin: '2468' });
  await d.act({ type: 'OPEN_SHIFT', opening_float_minor: FLOAT_MINOR });
}

/** From the menu: a committed top-up of TOP_UP_MINOR, receipt printed, back at the menu. */
export async function topUp(d: Driver<typeof attendantMachine>): Promise<void> {
  await d.act({ type: 'TOP_UP' });
  await d.act({ type: 'CARD_PRESENTED' });
  await d.act({ type: 'AMOUNT_ENTERED', amount_minor: TOP_UP_MINOR });
  await d.act({ type: 'CONFIRM' });
}
