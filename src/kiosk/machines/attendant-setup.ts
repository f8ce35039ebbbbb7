// Types, named actors, guards, actions and delays of the attendant machine
// (parking attendant station: staff sign-in, shift, cash top-ups, supervisor
// void, blind close). States are in attendant-access.ts, attendant-shift.ts
// and attendant-txn.ts; attendant.ts puts them together.
import { assign, enqueueActions, setup } from 'xstate';
import type {
  AbortReason,
  AllocateTxIdInput,
  AllocateTxIdResult,
  CardEvidence,
  CardRead,
  CardWriteInput,
  CardWriteResult,
  CloseShiftInput,
  CloseShiftResult,
  FetchReplacementInput,
  FetchReplacementResult,
  LedgerWriteResult,
  OpenShiftInput,
  OpenShiftResult,
  PaymentTx,
  PrintReceiptResult,
  ReadCardInput,
  ReadCardResult,
  ReadStaffCardResult,
  ReceiptInput,
  ReplacementAuth,
  RecordAbortedInput,
  RecordCommittedInput,
  RecordUncertainInput,
  SettleUncertainInput,
  SettleUncertainResult,
  ShiftClose,
  StaffCard,
  TxId,
  UncertaintyCause,
  VerifyPinInput,
  VerifyPinResult,
  WriteIntentInput,
} from './contracts';
import type { Notice } from './messages';
import { notProvided } from './not-provided';

export interface AttendantTimeouts {
  readonly idle_ms: number;
  readonly warning_ms: number;
  /** After too many wrong PINs the station refuses sign-in for this long. */
  readonly lockout_ms: number;
  /** A top-up can be voided by a supervisor for this long after it committed. */
  readonly void_window_ms: number;
  readonly same_card_ms: number;
  readonly done_ms: number;
  readonly card_watchdog_ms: number;
}

export const DEFAULT_ATTENDANT_TIMEOUTS: AttendantTimeouts = {
  idle_ms: 60_000,
  warning_ms: 15_000,
  lockout_ms: 300_000,
  void_window_ms: 600_000,
  same_card_ms: 120_000,
  done_ms: 5_000,
  card_watchdog_ms: 15_000,
};

export interface AttendantLimits {
  readonly max_pin_attempts: number;
  readonly max_top_up_minor: number;
  /** The card's value file upper limit. */
  readonly purse_max_minor: number;
}

export const DEFAULT_ATTENDANT_LIMITS: AttendantLimits = { max_pin_attempts: 3, max_top_up_minor: 20_000, purse_max_minor: 50_000 };

export type CardOp = 'top_up' | 'void' | 'replacement';
export type TxnStage = 'intent_pending' | 'card_in_flight' | 'card_committed' | 'aborting' | 'settled';

export interface TxnProgress {
  readonly stage: TxnStage;
  readonly tx: PaymentTx;
  readonly evidence: CardEvidence | null;
  readonly abort_reason: AbortReason | null;
  /** Why the card outcome became unknown, for the `uncertain` entry. */
  readonly uncertain_cause?: UncertaintyCause;
  /** Settled from the card: the balance its record shows, for the receipt. */
  readonly receipt_balance_minor?: number;
}

export interface OpenShift {
  readonly shift_id: string;
  readonly staff_ref: string;
  readonly opening_float_minor: number;
}

export interface AttendantContext {
  readonly timeouts: AttendantTimeouts;
  readonly limits: AttendantLimits;
  readonly staff: StaffCard | null;
  readonly supervisor: StaffCard | null;
  /** Consecutive wrong PINs at this station (attendant and supervisor alike). */
  readonly pin_attempts: number;
  readonly shift: OpenShift | null;
  readonly opening_float_minor: number | null;
  readonly card: CardRead | null;
  readonly card_present: boolean;
  readonly amount_minor: number | null;
  readonly op: CardOp | null;
  readonly txn: TxnProgress | null;
  /** The last committed top-up, while a supervisor may still void it. */
  readonly last_top_up: PaymentTx | null;
  /** The top-up being voided, fixed when the void starts (the window may close meanwhile). */
  readonly void_target: PaymentTx | null;
  readonly counted_minor: number | null;
  /** Shown only after the count is in (blind close). */
  readonly close: ShiftClose | null;
  /** The lost card's authorisation being put on a new card. */
  readonly replacement: ReplacementAuth | null;
  readonly notice: Notice | null;
}

export interface AttendantInput {
  readonly timeouts?: Partial<AttendantTimeouts>;
  readonly limits?: Partial<AttendantLimits>;
}

export type AttendantEvent =
  | { type: 'TOUCH' }
  | { type: 'CANCEL' }
  | { type: 'BACK' }
  | { type: 'ACK' }
  | { type: 'CONFIRM' }
  | { type: 'SIGN_OUT' }
  | { type: 'CARD_PRESENTED' }
  | { type: 'CARD_REMOVED' }
  | { type: 'PIN_ENTERED'; pin: string }
  | { type: 'OPEN_SHIFT'; opening_float_minor: number }
  | { type: 'TOP_UP' }
  | { type: 'AMOUNT_ENTERED'; amount_minor: number }
  | { type: 'VOID_LAST' }
  | { type: 'CLOSE_SHIFT' }
  | { type: 'CASH_COUNTED'; counted_minor: number }
  | { type: 'REPLACE_CARD' }
  | { type: 'CODE_ENTERED'; code: string }
  /** Raised by the machine itself, `void_window_ms` after a top-up committed. */
  | { type: 'VOID_WINDOW_ELAPSED' };

export function txn(context: AttendantContext): TxnProgress {
  if (context.txn === null) throw new Error('invariant: no card transaction in progress');
  return context.txn;
}

const isMinor = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

export function attendantReceipt(context: AttendantContext): ReceiptInput {
  const t = txn(context);
  return {
    tx_id: t.tx.tx_id,
    kind: t.tx.kind,
    outcome: t.tx.kind === 'void' ? 'void' : 'top_up', // a replacement prints like a top-up, under its own service name
    amount_minor: t.tx.amount_minor,
    masked_serial: t.tx.masked_serial,
    balance_after_minor: t.receipt_balance_minor ?? t.evidence?.balance_after_minor ?? null,
    service_ref: t.tx.reverses_tx_id,
  };
}

export const attendantSetup = setup({
  types: {
    context: {} as AttendantContext,
    events: {} as AttendantEvent,
    input: {} as AttendantInput,
    tags: {} as 'timeout_warning' | 'card_write_in_flight' | 'money_path',
  },
  actors: {
    readStaffCard: notProvided<ReadStaffCardResult, void>('readStaffCard'),
    verifyPin: notProvided<VerifyPinResult, VerifyPinInput>('verifyPin'),
    openShift: notProvided<OpenShiftResult, OpenShiftInput>('openShift'),
    closeShift: notProvided<CloseShiftResult, CloseShiftInput>('closeShift'),
    readCard: notProvided<ReadCardResult, ReadCardInput>('readCard'),
    allocateTxId: notProvided<AllocateTxIdResult, AllocateTxIdInput>('allocateTxId'),
    writeIntent: notProvided<LedgerWriteResult, WriteIntentInput>('writeIntent'),
    creditCard: notProvided<CardWriteResult, CardWriteInput>('creditCard'),
    debitCard: notProvided<CardWriteResult, CardWriteInput>('debitCard'),
    recordCommitted: notProvided<LedgerWriteResult, RecordCommittedInput>('recordCommitted'),
    recordAborted: notProvided<LedgerWriteResult, RecordAbortedInput>('recordAborted'),
    recordUncertain: notProvided<LedgerWriteResult, RecordUncertainInput>('recordUncertain'),
    settleUncertain: notProvided<SettleUncertainResult, SettleUncertainInput>('settleUncertain'),
    printReceipt: notProvided<PrintReceiptResult, ReceiptInput>('printReceipt'),
    fetchReplacement: notProvided<FetchReplacementResult, FetchReplacementInput>('fetchReplacement'),
  },
  guards: {
    succeeded: (_, result: { ok: boolean }) => result.ok,
    failed: (_, result: { ok: boolean }) => !result.ok,
    pinAccepted: (_, result: VerifyPinResult) => result.status === 'accepted',
    pinRejected: (_, result: VerifyPinResult) => result.status === 'rejected',
    pinLockedOut: (_, result: VerifyPinResult) => result.status === 'locked_out',
    pinRejectedForTheLastTime: ({ context }, result: VerifyPinResult) =>
      result.status === 'rejected' && context.pin_attempts + 1 >= context.limits.max_pin_attempts,
    shiftOfAnother: ({ context }) => context.shift !== null && context.shift.staff_ref !== context.staff?.staff_ref,
    shiftOpen: ({ context }) => context.shift !== null,
    isSupervisor: (_, result: ReadStaffCardResult) => result.ok && result.value.role === 'supervisor',
    minorAmount: (_, p: { amount_minor: number }) => isMinor(p.amount_minor),
    acceptableTopUp: ({ context }, p: { amount_minor: number }) =>
      isMinor(p.amount_minor) &&
      p.amount_minor > 0 &&
      p.amount_minor <= context.limits.max_top_up_minor &&
      context.card !== null &&
      context.card.balance_minor + p.amount_minor <= context.limits.purse_max_minor,
    cardUnusable: (_, result: ReadCardResult) => result.ok && (result.value.hotlisted || result.value.status === 'blocked'),
    voidable: ({ context }) => context.last_top_up !== null,
    notTheToppedUpCard: ({ context }, result: ReadCardResult) =>
      result.ok && result.value.card_ref !== context.void_target?.card_ref,
    cannotCoverVoid: ({ context }, result: ReadCardResult) =>
      result.ok && result.value.balance_minor < (context.void_target?.amount_minor ?? 0),
    /** A top-up or a lost card's replacement: a credit with the credit key. */
    opCredits: ({ context }) => context.op === 'top_up' || context.op === 'replacement',
    replacementRefused: (_, result: FetchReplacementResult) => !result.ok,
    theLostCard: ({ context }, result: ReadCardResult) => result.ok && result.value.card_ref === context.replacement?.old_card_ref,
    replacementOverLimit: ({ context }, result: ReadCardResult) =>
      result.ok && result.value.balance_minor + (context.replacement?.amount_minor ?? 0) > context.limits.purse_max_minor,
    cardRemovedDuringIntent: ({ context }) => !context.card_present,
    cardCommitted: (_, result: CardWriteResult) => result.status === 'committed',
    cardRefused: (_, result: CardWriteResult) => result.status === 'refused',
    differentCard: ({ context }, result: SettleUncertainResult) => result.ok && result.value.card_ref !== txn(context).tx.card_ref,
    settledCommitted: (_, result: SettleUncertainResult) => result.ok && result.value.outcome === 'committed',
    settledNotCommitted: (_, result: SettleUncertainResult) => result.ok && result.value.outcome === 'not_committed',
  },
  actions: {
    showNotice: assign((_, n: Notice) => ({ notice: n })),
    clearNotice: assign({ notice: null }),
    signOut: assign({ staff: null, supervisor: null, card: null, amount_minor: null, op: null, txn: null, close: null, replacement: null }),
    storeStaff: assign((_, staff: StaffCard) => ({ staff })),
    storeSupervisor: assign((_, supervisor: StaffCard) => ({ supervisor })),
    countWrongPin: assign(({ context }) => ({ pin_attempts: context.pin_attempts + 1 })),
    resetPinAttempts: assign({ pin_attempts: 0 }),
    storeFloat: assign((_, p: { amount_minor: number }) => ({ opening_float_minor: p.amount_minor })),
    storeShift: assign(({ context }, p: { shift_id: string }) => ({
      shift: { shift_id: p.shift_id, staff_ref: context.staff?.staff_ref ?? '', opening_float_minor: context.opening_float_minor ?? 0 },
    })),
    forgetCard: assign({ card: null, card_present: false, amount_minor: null, op: null, txn: null, supervisor: null, void_target: null, replacement: null }),
    storeCard: assign((_, card: CardRead) => ({ card, card_present: true })),
    cardRemoved: assign({ card_present: false }),
    storeAmount: assign((_, p: { amount_minor: number }) => ({ amount_minor: p.amount_minor })),
    startTopUp: assign({ op: 'top_up' as const }),
    startVoid: assign(({ context }) => ({ op: 'void' as const, void_target: context.last_top_up })),
    startReplacement: assign({ op: 'replacement' as const, replacement: null }),
    storeReplacement: assign((_, replacement: ReplacementAuth) => ({ replacement, amount_minor: replacement.amount_minor })),
    beginTxn: assign(({ context }, p: { tx_id: TxId }) => {
      const { card, op, shift, staff } = context;
      if (card === null || op === null || shift === null || staff === null) throw new Error('invariant: txn without card, op, shift');
      const voided = context.void_target;
      if (op === 'void' && voided === null) throw new Error('invariant: void without a top-up');
      const replacement = context.replacement;
      if (op === 'replacement' && replacement === null) throw new Error('invariant: replacement without an authorisation');
      // A replacement is exactly the authorised amount, never what was typed; it takes no cash, so it is outside the shift.
      const amount_minor = op === 'void' ? (voided?.amount_minor ?? 0) : op === 'replacement' ? (replacement?.amount_minor ?? 0) : (context.amount_minor ?? 0);
      const direction = op === 'void' ? 'debit' : 'credit';
      const tx: PaymentTx = {
        tx_id: p.tx_id,
        kind: op,
        direction,
        card_ref: card.card_ref,
        masked_serial: card.masked_serial,
        amount_minor,
        balance_before_minor: card.balance_minor,
        expected_balance_after_minor: card.balance_minor + (direction === 'credit' ? amount_minor : -amount_minor),
        tmac_counter_before: card.tmac_counter,
        quote_ref: op === 'replacement' ? (replacement?.id ?? null) : null,
        reverses_tx_id: op === 'void' ? (voided?.tx_id ?? null) : null,
        shift_id: op === 'replacement' ? null : shift.shift_id,
        staff_ref: staff.staff_ref,
        authorised_by: op === 'void' ? (context.supervisor?.staff_ref ?? null) : null,
      };
      return { txn: { stage: 'intent_pending' as const, tx, evidence: null, abort_reason: null } };
    }),
    txnStage: assign(({ context }, p: { stage: TxnStage }) => ({ txn: { ...txn(context), stage: p.stage } })),
    storeEvidence: assign(({ context }, evidence: CardEvidence) => ({ txn: { ...txn(context), stage: 'card_committed' as const, evidence } })),
    noteUncertainty: assign(({ context }, p: { cause: UncertaintyCause }) => ({ txn: { ...txn(context), uncertain_cause: p.cause } })),
    /** The card settled as committed (the `settled` entry is written). */
    storeSettledCommit: assign(({ context }, p: { balance_after_minor: number }) => ({
      txn: { ...txn(context), stage: 'card_committed' as const, receipt_balance_minor: p.balance_after_minor },
    })),
    abortBecause: assign(({ context }, p: { reason: AbortReason }) => ({
      txn: { ...txn(context), stage: 'aborting' as const, abort_reason: p.reason },
    })),
    /** A committed top-up opens the void window; a committed void closes it; a replacement leaves it as it was. */
    noteCommitted: enqueueActions(({ context, enqueue }) => {
      if (context.op === 'top_up') {
        enqueue.cancel('voidWindow');
        enqueue.assign({ last_top_up: txn(context).tx });
        enqueue.raise({ type: 'VOID_WINDOW_ELAPSED' }, { id: 'voidWindow', delay: 'voidWindow' });
      } else if (context.op === 'void') {
        enqueue.cancel('voidWindow');
        enqueue.assign({ last_top_up: null });
      }
    }),
    closeVoidWindow: enqueueActions(({ enqueue }) => {
      enqueue.cancel('voidWindow');
      enqueue.assign({ last_top_up: null });
    }),
    storeCount: assign((_, p: { counted_minor: number }) => ({ counted_minor: p.counted_minor })),
    storeClose: assign((_, close: ShiftClose) => ({ close, shift: null, opening_float_minor: null, counted_minor: null })),
  },
  delays: {
    idle: ({ context }) => context.timeouts.idle_ms,
    warning: ({ context }) => context.timeouts.warning_ms,
    lockout: ({ context }) => context.timeouts.lockout_ms,
    voidWindow: ({ context }) => context.timeouts.void_window_ms,
    sameCard: ({ context }) => context.timeouts.same_card_ms,
    done: ({ context }) => context.timeouts.done_ms,
    cardWatchdog: ({ context }) => context.timeouts.card_watchdog_ms,
  },
});

