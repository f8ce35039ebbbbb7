// Types, named actors, guards, actions and delays of the resident machine.
// The states live in resident-session.ts (before any money moves) and
// resident-payment.ts (from the intent on); resident.ts puts them together.
import { assign, setup } from 'xstate';
import type {
  AbortReason,
  AllocateTxIdInput,
  AllocateTxIdResult,
  CardEvidence,
  CardRead,
  CardWriteInput,
  CardWriteResult,
  CheckRiskInput,
  CheckRiskResult,
  FulfilInput,
  FulfilResult,
  LedgerWriteError,
  LedgerWriteResult,
  PayableServiceKind,
  PaymentTx,
  PrinterStatusResult,
  PrintReceiptResult,
  Quote,
  QuoteInput,
  QuoteResult,
  ReadCardInput,
  ReadPresentedCardResult,
  ReadHistoryResult,
  CardRecordSummary,
  ReceiptInput,
  ReceiptOutcome,
  RecordAbortedInput,
  RecordCommittedInput,
  RecordUncertainInput,
  RefundInput,
  RefundResult,
  RefundValue,
  SelfTestResult,
  SettleUncertainInput,
  SettleUncertainResult,
  TxId,
  UncertaintyCause,
  WriteIntentInput,
} from './contracts';
import type { MessageKey, Notice } from './messages';
import { notProvided } from './not-provided';

export interface ResidentTimeouts {
  /** No touch in a waiting state → warning. */
  readonly idle_ms: number;
  /** Warning shown → leave the state. */
  readonly warning_ms: number;
  /** Waiting for the same card after an uncertain debit (before the warning). */
  readonly same_card_ms: number;
  /** "Done" screen → idle. */
  readonly done_ms: number;
  /** A debit that neither answers nor fails is uncertain after this. */
  readonly debit_watchdog_ms: number;
  readonly record_retry_ms: number;
  readonly self_test_retry_ms: number;
  readonly reader_retry_ms: number;
}

export const DEFAULT_RESIDENT_TIMEOUTS: ResidentTimeouts = {
  idle_ms: 30_000,
  warning_ms: 10_000,
  same_card_ms: 120_000,
  done_ms: 8_000,
  debit_watchdog_ms: 15_000,
  record_retry_ms: 2_000,
  self_test_retry_ms: 60_000,
  reader_retry_ms: 10_000,
};

/**
 * How far a payment got. Assigned on the transition *into* the step, so a
 * snapshot taken during a step names the step in flight.
 */
export type PaymentStage =
  | 'intent_pending' // intent being written; the card may or may not be touched next
  | 'debit_in_flight' // debit sent to the card; outcome unknown until it answers
  | 'card_committed' // card committed; committed entry being written
  | 'recorded' // committed entry durable; service being fulfilled
  | 'service_refused' // service refused; credit-back or refund entry in flight
  | 'fulfilled' // service done (or queued); receipt in flight
  | 'aborting' // certainly not taken from the card; abort entry in flight
  | 'aborted' // abort entry written
  | 'settled'; // finished, nothing left to do

export interface PaymentProgress {
  readonly stage: PaymentStage;
  readonly tx: PaymentTx;
  readonly quote: Quote;
  readonly evidence: CardEvidence | null;
  readonly service_ref: string | null;
  readonly refusal_reason: string | null;
  readonly abort_reason: AbortReason | null;
  readonly receipt_outcome: ReceiptOutcome;
  /** Why the card outcome became unknown, for the `uncertain` entry. */
  readonly uncertain_cause?: UncertaintyCause;
  /** The balance the receipt shows when it is not the debit's evidence: credited back, or settled from the card. */
  readonly receipt_balance_minor?: number;
}

/** A card commit whose committed entry could not be written: retried before anyone else is served. */
export interface UnrecordedCommit {
  readonly tx: PaymentTx;
  readonly evidence: CardEvidence;
}

export interface ResidentContext {
  readonly timeouts: ResidentTimeouts;
  readonly max_record_attempts: number;
  /** A payment interrupted by a restart, taken up after the self-test. */
  readonly recovery: PaymentProgress | null;
  readonly card: CardRead | null;
  readonly card_present: boolean;
  readonly selection: { readonly kind: PayableServiceKind; readonly reference: string } | null;
  readonly quote: Quote | null;
  /** From printerStatus while the resident confirms; null = not known yet. */
  readonly receipt_available: boolean | null;
  readonly payment: PaymentProgress | null;
  readonly record_attempts: number;
  readonly notice: Notice | null;
  /** Something went wrong that staff must see: out of service once the resident is served. */
  readonly fault: MessageKey | null;
  readonly unrecorded: UnrecordedCommit | null;
  /** The masked serial of the staff card that opened the maintenance screen; nothing else of it is kept. */
  readonly maintenance_staff: string | null;
}

export interface ResidentInput {
  readonly timeouts?: Partial<ResidentTimeouts>;
  readonly max_record_attempts?: number;
  readonly recovery?: PaymentProgress | null;
  readonly unrecorded?: UnrecordedCommit | null;
}

export type ResidentEvent =
  | { type: 'TOUCH' }
  | { type: 'CANCEL' }
  | { type: 'BACK' }
  | { type: 'CONTINUE' }
  | { type: 'SHOW_HISTORY' }
  | { type: 'SELECT_SERVICE'; kind: PayableServiceKind; reference: string }
  /** The patron PIN the service asked for: handed to the next quote, never assigned to context. */
  | { type: 'SUBMIT_PIN'; pin: string }
  | { type: 'CHOOSE'; option_ids: readonly string[] }
  | { type: 'CONFIRM' }
  | { type: 'ACK' }
  | { type: 'FINISH' }
  | { type: 'CARD_PRESENTED' }
  | { type: 'CARD_REMOVED' }
  | { type: 'READER_LOST' }
  | { type: 'READER_RESTORED' }
  | { type: 'MAINTENANCE_RETRY' }
  | { type: 'EXIT_MAINTENANCE' };

const SESSION_CLEARED = {
  card: null,
  card_present: false,
  selection: null,
  quote: null,
  receipt_available: null,
  payment: null,
  record_attempts: 0,
  maintenance_staff: null,
} as const;

export function progress(context: ResidentContext): PaymentProgress {
  if (context.payment === null) throw new Error('invariant: no payment in progress');
  return context.payment;
}

export function receiptFor(p: PaymentProgress): ReceiptInput {
  return {
    tx_id: p.tx.tx_id,
    kind: p.tx.kind,
    outcome: p.receipt_outcome,
    amount_minor: p.tx.amount_minor,
    masked_serial: p.tx.masked_serial,
    balance_after_minor: p.receipt_balance_minor ?? p.evidence?.balance_after_minor ?? null,
    service_ref: p.service_ref,
    // what the service asked to print (fines paid, parking expiry) holds only for a payment that went through
    ...(p.receipt_outcome === 'paid' && p.quote.receipt_lines !== undefined ? { lines: p.quote.receipt_lines } : {}),
  };
}

export const residentSetup = setup({
  types: {
    context: {} as ResidentContext,
    events: {} as ResidentEvent,
    input: {} as ResidentInput,
    tags: {} as 'timeout_warning' | 'card_write_in_flight' | 'out_of_service' | 'money_path' | 'maintenance',
  },
  actors: {
    selfTest: notProvided<SelfTestResult, void>('selfTest'),
    readCard: notProvided<ReadPresentedCardResult, ReadCardInput>('readCard'),
    readHistory: notProvided<ReadHistoryResult, void>('readHistory'),
    checkRisk: notProvided<CheckRiskResult, CheckRiskInput>('checkRisk'),
    quote: notProvided<QuoteResult, QuoteInput>('quote'),
    printerStatus: notProvided<PrinterStatusResult, void>('printerStatus'),
    allocateTxId: notProvided<AllocateTxIdResult, AllocateTxIdInput>('allocateTxId'),
    writeIntent: notProvided<LedgerWriteResult, WriteIntentInput>('writeIntent'),
    debitCard: notProvided<CardWriteResult, CardWriteInput>('debitCard'),
    recordCommitted: notProvided<LedgerWriteResult, RecordCommittedInput>('recordCommitted'),
    recordAborted: notProvided<LedgerWriteResult, RecordAbortedInput>('recordAborted'),
    recordUncertain: notProvided<LedgerWriteResult, RecordUncertainInput>('recordUncertain'),
    settleUncertain: notProvided<SettleUncertainResult, SettleUncertainInput>('settleUncertain'),
    fulfil: notProvided<FulfilResult, FulfilInput>('fulfil'),
    refundOrCreditBack: notProvided<RefundResult, RefundInput>('refundOrCreditBack'),
    printReceipt: notProvided<PrintReceiptResult, ReceiptInput>('printReceipt'),
  },
  guards: {
    succeeded: (_, result: { ok: boolean }) => result.ok,
    failed: (_, result: { ok: boolean }) => !result.ok,
    failedWith: (_, p: { result: { ok: boolean; error?: unknown }; error: string }) => !p.result.ok && p.result.error === p.error,
    cardCommitted: (_, result: CardWriteResult) => result.status === 'committed',
    cardRefused: (_, result: CardWriteResult) => result.status === 'refused',
    serviceRefused: (_, result: FulfilResult) => result.status === 'refused',
    differentCard: ({ context }, result: SettleUncertainResult) =>
      result.ok && result.value.card_ref !== progress(context).tx.card_ref,
    settledCommitted: (_, result: SettleUncertainResult) => result.ok && result.value.outcome === 'committed',
    settledNotCommitted: (_, result: SettleUncertainResult) => result.ok && result.value.outcome === 'not_committed',
    /** A quote the resident must choose from before it is payable. */
    asksToChoose: (_, result: QuoteResult) => result.ok && result.value.choose !== undefined,
    /** Among the options offered, each once, at least one; exactly one when only one may be chosen. */
    validChoice: ({ context }, p: { option_ids: readonly string[] }) => {
      const choose = context.quote?.choose;
      if (choose === undefined || p.option_ids.length === 0) return false;
      if (!choose.multiple && p.option_ids.length !== 1) return false;
      const offered = new Set(choose.options.map((o) => o.id));
      return new Set(p.option_ids).size === p.option_ids.length && p.option_ids.every((id) => offered.has(id));
    },
    hasUnrecorded: ({ context }) => context.unrecorded !== null,
    insufficientBalance: ({ context }) =>
      context.card !== null && context.quote !== null && context.quote.amount_minor > context.card.balance_minor,
    cardRemovedDuringIntent: ({ context }) => !context.card_present,
    mayRetryRecord: ({ context }) => context.record_attempts + 1 < context.max_record_attempts,
    hasFault: ({ context }) => context.fault !== null,
    hasRecovery: ({ context }) => context.recovery !== null,
    paymentAt: ({ context }, p: { stages: readonly PaymentStage[] }) =>
      context.payment !== null && p.stages.includes(context.payment.stage),
  },
  actions: {
    showNotice: assign((_, n: Notice) => ({ notice: n })),
    clearNotice: assign({ notice: null }),
    clearSession: assign(SESSION_CLEARED),
    cardPresent: assign({ card_present: true }),
    /** A staff card: whatever the session held is dropped, only the card's masked serial is kept. */
    openMaintenance: assign((_, p: { masked_serial: string }) => ({ ...SESSION_CLEARED, card_present: true, maintenance_staff: p.masked_serial })),
    cardRemoved: assign({ card_present: false }),
    storeCard: assign((_, card: CardRead) => ({ card, card_present: true })),
    storeHistory: assign(({ context }, p: { recent: readonly CardRecordSummary[] }) => ({ card: context.card === null ? null : { ...context.card, recent: p.recent } })),
    select: assign((_, s: { kind: PayableServiceKind; reference: string }) => ({ selection: s, quote: null })),
    storeQuote: assign((_, quote: Quote) => ({ quote, receipt_available: null })),
    storeReceiptAvailability: assign((_, p: { available: boolean }) => ({ receipt_available: p.available })),
    beginPayment: assign(({ context }, p: { tx_id: TxId }) => {
      const { card, quote } = context;
      if (card === null || quote === null) throw new Error('invariant: payment without card and quote');
      const tx: PaymentTx = {
        tx_id: p.tx_id,
        kind: quote.kind,
        direction: 'debit',
        card_ref: card.card_ref,
        masked_serial: card.masked_serial,
        amount_minor: quote.amount_minor,
        balance_before_minor: card.balance_minor,
        expected_balance_after_minor: card.balance_minor - quote.amount_minor,
        tmac_counter_before: card.tmac_counter,
        quote_ref: quote.quote_ref,
        reverses_tx_id: null,
        shift_id: null,
        staff_ref: null,
        authorised_by: null,
      };
      const payment: PaymentProgress = {
        stage: 'intent_pending',
        tx,
        quote,
        evidence: null,
        service_ref: null,
        refusal_reason: null,
        abort_reason: null,
        receipt_outcome: 'paid',
      };
      return { payment, record_attempts: 0 };
    }),
    stage: assign(({ context }, p: { stage: PaymentStage }) => ({ payment: { ...progress(context), stage: p.stage } })),
    storeEvidence: assign(({ context }, evidence: CardEvidence) => ({
      payment: { ...progress(context), stage: 'card_committed' as const, evidence },
      record_attempts: 0,
    })),
    countRecordAttempt: assign(({ context }) => ({ record_attempts: context.record_attempts + 1 })),
    storeFulfilment: assign(({ context }, p: { service_ref: string }) => ({
      payment: { ...progress(context), stage: 'fulfilled' as const, service_ref: p.service_ref },
    })),
    storeServiceRefusal: assign(({ context }, p: { reason: string }) => ({
      payment: { ...progress(context), stage: 'service_refused' as const, refusal_reason: p.reason },
    })),
    storeRefund: assign(({ context }, refund: RefundValue) => ({
      payment: {
        ...progress(context),
        stage: 'fulfilled' as const,
        receipt_outcome: refund.status,
        ...(refund.status === 'credited_back' ? { receipt_balance_minor: refund.balance_after_minor } : {}),
        service_ref: refund.status === 'refund_recorded' ? refund.refund_ref : progress(context).service_ref,
      },
    })),
    /** The card settled as committed (the `settled` entry is written): on to the service. */
    storeSettledCommit: assign(({ context }, p: { balance_after_minor: number }) => ({
      payment: { ...progress(context), stage: 'recorded' as const, receipt_balance_minor: p.balance_after_minor },
    })),
    noteUncertainty: assign(({ context }, p: { cause: UncertaintyCause }) => ({
      payment: { ...progress(context), uncertain_cause: p.cause },
    })),
    keepUnrecorded: assign(({ context }) => ({
      unrecorded: { tx: progress(context).tx, evidence: progress(context).evidence ?? (() => { throw new Error('invariant: unrecorded commit without evidence'); })() },
    })),
    clearUnrecorded: assign({ unrecorded: null }),
    setLedgerFault: assign((_, p: { error: LedgerWriteError | null }) => ({
      fault: p.error === 'ledger_fault' ? ('kiosk.ledger_fault' as const) : ('kiosk.ledger_unavailable' as const),
    })),
    markRefundFailed: assign(({ context }) => ({
      payment: { ...progress(context), stage: 'fulfilled' as const, receipt_outcome: 'refund_failed' as const },
      fault: 'service.refused.contact_staff' as const,
    })),
    abortBecause: assign(({ context }, p: { reason: AbortReason }) => ({
      payment: { ...progress(context), stage: 'aborting' as const, abort_reason: p.reason },
    })),
    setFault: assign((_, p: { key: MessageKey }) => ({ fault: p.key })),
    takeUpRecovery: assign(({ context }) => ({ ...SESSION_CLEARED, payment: context.recovery, recovery: null })),
    clearFault: assign({ fault: null }),
  },
  delays: {
    idle: ({ context }) => context.timeouts.idle_ms,
    warning: ({ context }) => context.timeouts.warning_ms,
    sameCard: ({ context }) => context.timeouts.same_card_ms,
    done: ({ context }) => context.timeouts.done_ms,
    debitWatchdog: ({ context }) => context.timeouts.debit_watchdog_ms,
    recordRetry: ({ context }) => context.timeouts.record_retry_ms,
    selfTestRetry: ({ context }) => context.timeouts.self_test_retry_ms,
    readerRetry: ({ context }) => context.timeouts.reader_retry_ms,
  },
});

