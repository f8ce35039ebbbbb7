// The contract between the kiosk's transaction machines and the world.
//
// The machines (resident, attendant) touch cards, the ledger, services and the
// printer only through the actors typed here; the real implementations are
// supplied later with `machine.provide({ actors })`. Rules that hold for every
// type in this file:
//   - money is an integer number of minor units (`*_minor`), never a float;
//   - a card is known only by an opaque `card_ref` and a `masked_serial` for
//     receipts and screens: no names, no UIDs, nothing personal;
//   - expected failures are values (`Result`, or a `status` union), not thrown
//     exceptions. A thrown exception still has a way out (every invoke has
//     `onError`), but it is treated as the most pessimistic outcome.

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

/** Opaque card identity (a keyed hash on the kiosk side); never a UID or a name. */
export type CardRef = string;
/** Client-generated, time-ordered ledger transaction id (written to the card record too). */
export type TxId = string;

// ---------------------------------------------------------------- cards

/** One entry of the card's cyclic record file, for "balance and recent transactions". */
export interface CardRecordSummary {
  /** The card keeps a tag of the transaction id, without its timestamp (see src/card/layout.ts). */
  readonly tx_tag: string;
  readonly direction: 'debit' | 'credit';
  readonly amount_minor: number;
  readonly balance_after_minor: number;
}

export interface CardRead {
  readonly card_ref: CardRef;
  readonly masked_serial: string;
  readonly balance_minor: number;
  /** ISO date (YYYY-MM-DD) from the card's data file. */
  readonly expires_on: string;
  readonly status: 'active' | 'blocked';
  readonly hotlisted: boolean;
  /** Transaction MAC counter before any change made in this session. */
  readonly tmac_counter: number;
  readonly recent: readonly CardRecordSummary[];
}

export type ReadCardError = 'card_removed' | 'unreadable' | 'not_a_civicard' | 'reader_lost';
/** Which key the reader authenticates with: debit key for payments and voids, credit key for top-ups. */
export interface ReadCardInput {
  readonly purpose: 'payment' | 'top_up' | 'void' | 'settle' | 'replacement';
}
export type ReadCardResult = Result<CardRead, ReadCardError>;
/**
 * At a resident kiosk, a card on the staff roster (attendant or supervisor) is
 * not read for paying: it opens the maintenance screen. Only its role and
 * masked serial leave the reader; a failure for the payment read, a key to
 * the maintenance screen.
 */
export interface StaffCardPresented {
  readonly ok: false;
  readonly error: 'staff_card';
  readonly role: StaffRole;
  readonly masked_serial: string;
}
/** The resident kiosk's card read: a resident's card, a staff card, or why neither. */
export type ReadPresentedCardResult = ReadCardResult | StaffCardPresented;

/** A lost card's balance the back office authorised for one replacement card (docs/lost-card.md). */
export interface ReplacementAuth {
  /** Named by the credit as its service_ref; the back office marks it used when that credit syncs. */
  readonly id: string;
  readonly old_card_ref: string;
  readonly amount_minor: number;
}
export interface FetchReplacementInput {
  readonly code: string;
}
/** `offline`: the back office did not answer (or the station has none); the replacement needs it. */
export type FetchReplacementResult = Result<ReplacementAuth, 'offline' | 'unknown_code' | 'already_used' | 'refused'>;
/** The whole history of the card still held, for the resident's history screen. */
export type ReadHistoryResult = Result<readonly CardRecordSummary[], ReadCardError>;

/** What the card proves after CommitTransaction. */
export interface CardEvidence {
  readonly balance_after_minor: number;
  readonly tmac_counter: number;
  /** Transaction MAC value, hex. */
  readonly tmac_value: string;
}

/** `not_committed_on_card`: the commit failed and the card, asked in the same session, shows its counter unchanged. */
export type CardWriteRefusal =
  | 'not_committed_on_card'
  | 'insufficient_funds'
  | 'over_purse_limit'
  | 'card_mismatch'
  | 'card_absent'
  | 'permission_denied';
export type CardWriteUncertainty = 'card_removed' | 'reader_lost' | 'timeout' | 'transport';
/** Why the kiosk records a transaction as uncertain: the card write's, or a restart that interrupted it. */
export type UncertaintyCause = CardWriteUncertainty | 'kiosk_restarted';

/**
 * Result of a value change on the card. `refused` means the card certainly did
 * not commit; `uncertain` means it may have (the field was lost after the
 * command went out) and only the same card can settle it.
 */
export type CardWriteResult =
  | { readonly status: 'committed'; readonly evidence: CardEvidence }
  | { readonly status: 'refused'; readonly reason: CardWriteRefusal }
  | { readonly status: 'uncertain'; readonly reason: CardWriteUncertainty };

// ---------------------------------------------------------------- transactions

export type PayableServiceKind = 'library_fine' | 'parking' | 'citation';
/**
 * `opening_balance`: the value a card is issued with, recorded by the issuing desk.
 * `replacement`: a lost card's balance put on its replacement, under the back office's authorisation (docs/lost-card.md).
 */
export type TxKind = PayableServiceKind | 'top_up' | 'void' | 'credit_back' | 'opening_balance' | 'replacement';

/** Everything the intent entry records, and everything the card write needs. */
export interface PaymentTx {
  readonly tx_id: TxId;
  readonly kind: TxKind;
  readonly direction: 'debit' | 'credit';
  readonly card_ref: CardRef;
  readonly masked_serial: string;
  readonly amount_minor: number;
  readonly balance_before_minor: number;
  readonly expected_balance_after_minor: number;
  readonly tmac_counter_before: number;
  /** The service quote this pays (null for top-ups and voids). */
  readonly quote_ref: string | null;
  /** For a void: the top-up it reverses. */
  readonly reverses_tx_id: TxId | null;
  /** Attendant station only: the shift and staff member (opaque refs). */
  readonly shift_id: string | null;
  readonly staff_ref: string | null;
  /** For a void: the supervisor who authorised it. */
  readonly authorised_by: string | null;
}

export interface AllocateTxIdInput {
  readonly kind: TxKind;
}
export type AllocateTxIdResult = TxId;

/**
 * Ledger writes are idempotent by tx_id: a retry answers `exists`.
 * `ledger_unavailable`: the database would not write (disk, lock) — a retry may
 * succeed. `ledger_fault`: the ledger refused the entry (a conflict with what
 * it holds, a malformed payload) — a retry will not help; staff must look.
 */
export type LedgerWriteError = 'ledger_unavailable' | 'ledger_fault';
export type LedgerWriteResult = Result<{ readonly status: 'created' | 'exists' }, LedgerWriteError>;

export interface WriteIntentInput {
  readonly tx: PaymentTx;
}
export interface CardWriteInput {
  readonly tx: PaymentTx;
}
export interface RecordCommittedInput {
  readonly tx: PaymentTx;
  readonly evidence: CardEvidence;
}

export type AbortReason = CardWriteRefusal | 'card_removed_before_debit' | 'ledger_unavailable';
export interface RecordUncertainInput {
  readonly tx: PaymentTx;
  readonly cause: UncertaintyCause;
}
/** Must tolerate an intent that never became durable (answers `exists`/`created` either way). */
export interface RecordAbortedInput {
  readonly tx: PaymentTx;
  readonly reason: AbortReason;
}

/**
 * Reads the card presented while a transaction is uncertain, settles from what
 * the card shows (DESIGN §3) and records the outcome in the ledger (a `settled`
 * entry) before answering. For a different card it reports only its
 * `card_ref`; the machine compares it and keeps waiting. `unknown`: the card
 * moved on (used elsewhere, the record rotated out) — the transaction stays
 * uncertain for the back office.
 */
export interface SettleUncertainInput {
  readonly tx: PaymentTx;
}
export type SettleOutcome =
  /** `balance_after_minor`: what the card's record of this transaction says it left. */
  | { readonly card_ref: CardRef; readonly outcome: 'committed'; readonly balance_after_minor: number }
  | { readonly card_ref: CardRef; readonly outcome: 'not_committed' }
  | { readonly card_ref: CardRef; readonly outcome: 'unknown' }
  | { readonly card_ref: CardRef; readonly outcome: 'different_card' };
export type SettleUncertainResult = Result<SettleOutcome, ReadCardError | LedgerWriteError>;

// ---------------------------------------------------------------- risk

export type RiskRefusal =
  | 'hotlisted'
  | 'blocked'
  | 'expired'
  | 'hotlist_stale'
  | 'offline_tx_limit'
  | 'unsynced_cap'
  | 'daily_limit';
/** `amount_minor` 0 checks the card alone (status, hotlist, expiry); above 0 also the offline limits. */
export interface CheckRiskInput {
  readonly card: CardRead;
  readonly amount_minor: number;
}
export type CheckRiskResult = Result<null, RiskRefusal>;

// ---------------------------------------------------------------- services

export interface QuoteInput {
  readonly kind: PayableServiceKind;
  /**
   * Service-specific reference: the patron's library card number, a parking
   * reference (`plate:<zone>/<plate>` or `space:<zone>/<space>`), a citation's
   * scanned barcode.
   */
  readonly reference: string;
  readonly card_ref: CardRef;
  /**
   * The ids the resident chose among the `choose.options` of the previous
   * answer for the same reference (fines to pay, a parking duration). Absent
   * on the first call.
   */
  readonly chosen?: readonly string[];
  /**
   * The patron's PIN, when the service answered `pin_required` or `pin_wrong`.
   * Passed straight from the resident's event to the service: never kept in
   * machine context, the ledger, a log or a file.
   */
  readonly pin?: string;
}

/** One thing the resident can choose before paying: a fine, a parking duration. */
export interface QuoteOption {
  readonly id: string;
  readonly amount_minor: number;
  /** Message key and its parameters for the UI (e.g. 'parking.duration' { minutes: 60, end: ISO }). */
  readonly label_key: string;
  /**
   * Shown on screen during this session only: a fine's free text from the ILS
   * may name a title, never stored, logged or printed.
   */
  readonly label_params: Readonly<Record<string, string | number>>;
  /** Chosen unless the resident unticks it (fines: all are preselected). */
  readonly preselected: boolean;
}

/** A line the receipt prints beside the amount: nothing that identifies the resident. */
export interface ReceiptLine {
  /**
   * 'parking.zone' | 'parking.space' | 'parking.expires_at' | 'parking.plate_tail' | 'library.fines_paid' | 'citation.number':
   * the keys and value shapes are fixed in src/kiosk/receipt/model.ts (RECEIPT_LINE_VALUES); any other line is left off the paper.
   */
  readonly key: string;
  readonly value: string;
}

export interface Quote {
  readonly quote_ref: string;
  readonly kind: PayableServiceKind;
  readonly amount_minor: number;
  /** Message key the UI shows for what is being paid. */
  readonly description_key: string;
  /**
   * Present when the resident must choose before paying: then this quote is
   * not payable yet; the machine asks, and quotes again with `chosen`.
   * `multiple`: several may be chosen (fines); otherwise exactly one (a duration).
   */
  readonly choose?: { readonly multiple: boolean; readonly options: readonly QuoteOption[] };
  /** Printed on the receipt (parking: zone, space, expiry, last digits of the plate). */
  readonly receipt_lines?: readonly ReceiptLine[];
  /** Screen-only details for the UI (e.g. the patron's name as the ILS gave it); never printed or stored. */
  readonly screen_params?: Readonly<Record<string, string | number>>;
}
/**
 * `pin_required` / `pin_wrong`: ask the resident for the patron PIN and quote again with it.
 * `not_allowed`: the service forbids it now (parking: beyond max stay, inside no-return, no
 * parking at this time); `reason_key` in the quote refusal detail is not needed by the machine.
 */
export type QuoteRefusal =
  | 'nothing_due'
  | 'not_found'
  | 'service_unavailable'
  | 'pin_required'
  | 'pin_wrong'
  | 'beyond_max_stay'
  | 'no_return'
  | 'no_parking_now'
  | 'already_paid';
export type QuoteResult = Result<Quote, QuoteRefusal>;

export interface FulfilInput {
  readonly tx: PaymentTx;
  readonly quote: Quote;
}
/** `queued` = accepted for store-and-forward under the same tx_id. */
export type FulfilResult =
  | { readonly status: 'fulfilled'; readonly service_ref: string }
  | { readonly status: 'queued'; readonly service_ref: string }
  | { readonly status: 'refused'; readonly reason: string };

/** Must be idempotent by tx_id (a restart may run it again). */
export interface RefundInput {
  readonly tx: PaymentTx;
  readonly reason: string;
}
export type RefundValue =
  | { readonly status: 'credited_back'; readonly balance_after_minor: number }
  | { readonly status: 'refund_recorded'; readonly refund_ref: string };
/** `service_unavailable` also covers a credit back whose card outcome is not known yet: it is settled from the card, never paid twice. */
export type RefundResult = Result<RefundValue, LedgerWriteError | 'service_unavailable'>;

// ---------------------------------------------------------------- printer, self-test

export type PrinterFault = 'out_of_paper' | 'offline' | 'cover_open' | 'jam';
export type PrinterStatusResult = Result<null, PrinterFault>;

export type ReceiptOutcome = 'paid' | 'credited_back' | 'refund_recorded' | 'refund_failed' | 'top_up' | 'void';
/** Nothing personal: masked serial, amounts, tx id. */
export interface ReceiptInput {
  readonly tx_id: TxId;
  readonly kind: TxKind;
  readonly outcome: ReceiptOutcome;
  readonly amount_minor: number;
  readonly masked_serial: string;
  readonly balance_after_minor: number | null;
  readonly service_ref: string | null;
  /** From the quote: what the service wants printed (never personal). */
  readonly lines?: readonly ReceiptLine[];
}
export type PrintReceiptResult = Result<null, PrinterFault>;

export type SelfTestCheck = 'card_crypto' | 'reader' | 'ledger' | 'clock';
export type SelfTestResult = Result<null, { readonly failed: readonly SelfTestCheck[] }>;

// ---------------------------------------------------------------- attendant

export type StaffRole = 'attendant' | 'supervisor';
export interface StaffCard {
  readonly staff_ref: string;
  readonly role: StaffRole;
  readonly masked_serial: string;
}
export type ReadStaffCardResult = Result<StaffCard, ReadCardError | 'not_a_staff_card'>;

/** The PIN goes only to the verifier; it is never kept in machine context. */
export interface VerifyPinInput {
  readonly staff_ref: string;
  readonly pin: string;
}
/** `locked_out`: too many wrong PINs for this staff member (counted by the station, across restarts). */
export type VerifyPinResult = { readonly status: 'accepted' } | { readonly status: 'rejected' } | { readonly status: 'locked_out' } | { readonly status: 'unavailable' };

export interface OpenShiftInput {
  readonly staff_ref: string;
  readonly opening_float_minor: number;
}
export type OpenShiftResult = Result<{ readonly shift_id: string }, 'ledger_unavailable'>;

/**
 * Blind close: the attendant's count goes in, the expected figure comes out
 * only afterwards (computed by the ledger from float, top-ups and voids).
 */
export interface CloseShiftInput {
  readonly shift_id: string;
  readonly staff_ref: string;
  readonly counted_minor: number;
}
export interface ShiftClose {
  readonly shift_id: string;
  readonly expected_minor: number;
  readonly counted_minor: number;
  /** counted − expected: positive over, negative short. */
  readonly over_short_minor: number;
}
export type CloseShiftResult = Result<ShiftClose, 'ledger_unavailable'>;
