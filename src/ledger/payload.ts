import { isUuidV7 } from '../shared/ids';
import { isMinor, type Minor } from '../shared/money';

// What each ledger entry kind records. The schema is closed: every kind has an
// exact set of typed fields, identifiers have fixed shapes and reasons are
// codes from fixed lists, so there is no free text in which a name, an address
// or a document number could be written by accident (DESIGN §8).
//
// A payment is `intent` → `committed` | `aborted`; a top-up or credit back is
// `credit_intent` → `credit_committed` | `aborted`. When the card may or may not
// have committed, `uncertain` says so and `settled` later records the outcome
// and the evidence for it (or recovery writes `committed` / `aborted` directly).
// `refund` records money owed back to a resident that could not go back onto
// the card; a credit back onto the card is its own credit transaction with
// `reverses_tx_id` naming the payment.

export const DEBIT_SERVICES = ['library_fine', 'parking', 'citation', 'void'] as const;
export const CREDIT_SERVICES = ['top_up', 'credit_back', 'opening_balance', 'replacement'] as const;
/** The services that reverse an earlier transaction, and the service they may reverse. */
export const REVERSALS = { void: ['top_up'], credit_back: ['library_fine', 'parking', 'citation'] } as const;
export const ABORT_REASONS = [
  'insufficient_funds',
  'over_purse_limit',
  'card_mismatch',
  'card_absent',
  'permission_denied',
  'card_removed_before_debit',
  'not_committed_on_card',
  'ledger_unavailable',
] as const;
export const UNCERTAIN_CAUSES = ['card_removed', 'reader_lost', 'timeout', 'transport', 'kiosk_restarted'] as const;
export const REFUND_REASONS = ['service_refused', 'service_error', 'unknown_quote', 'amount_mismatch', 'service_not_configured'] as const;
export const SETTLE_SOURCES = ['same_card', 'back_office'] as const;
export const SERVICE_OUTCOMES = ['accepted', 'refused'] as const;
/**
 * How the card showed the outcome (DESIGN §3): its newest record with the
 * Transaction MAC of that commit; an older history record (the TMAC of that
 * commit is gone from the card); or its transaction counter unchanged since
 * the intent (nothing committed). Absence of a record alone proves nothing.
 */
export const SETTLE_PROOFS = ['tmac', 'card_record', 'counter_unchanged'] as const;

export type DebitService = (typeof DEBIT_SERVICES)[number];
export type CreditService = (typeof CREDIT_SERVICES)[number];
export type AbortReasonCode = (typeof ABORT_REASONS)[number];
export type UncertainCause = (typeof UNCERTAIN_CAUSES)[number];
export type RefundReason = (typeof REFUND_REASONS)[number];

interface IntentFields {
  /** UUIDv7, made by the kiosk before anything else happens; also written on the card. */
  tx_id: string;
  /** Keyed hash of the card UID (32–64 lowercase hex): never a UID, serial or name. */
  card_ref: string;
  amount_minor: Minor;
  balance_before_minor: Minor;
  expected_balance_after_minor: Minor;
  /** The card's Transaction MAC counter read before the change. */
  tmac_counter_before: number;
  /** The service's own reference for what is paid (quote id); null for top-ups and voids. */
  service_ref: string | null;
  /** Void and credit back: the transaction this one reverses. */
  reverses_tx_id: string | null;
  /** Attendant station: the cash shift this belongs to. */
  shift_id: string | null;
}

export interface CardEvidencePayload {
  balance_after_minor: Minor;
  tmac_counter: number;
  /** Transaction MAC value returned by CommitTransaction, hex. */
  tmac_value: string;
}

export interface SettleEvidence {
  /** Who saw the card: this kiosk when the same card came back, or the back office from its next transaction. */
  source: (typeof SETTLE_SOURCES)[number];
  balance_minor: Minor;
  tmac_counter: number;
  /** The card's Transaction MAC for this transaction (proof `tmac`); null otherwise. */
  tmac_value: string | null;
  proof: (typeof SETTLE_PROOFS)[number];
}

export type EntryPayload =
  | ({ kind: 'intent'; service: DebitService } & IntentFields)
  | ({ kind: 'credit_intent'; service: CreditService } & IntentFields)
  | ({ kind: 'committed'; tx_id: string } & CardEvidencePayload)
  | ({ kind: 'credit_committed'; tx_id: string } & CardEvidencePayload)
  | { kind: 'aborted'; tx_id: string; reason: AbortReasonCode }
  | { kind: 'uncertain'; tx_id: string; unknown: 'card_commit'; cause: UncertainCause }
  | { kind: 'settled'; tx_id: string; outcome: 'committed' | 'aborted'; evidence: SettleEvidence }
  | { kind: 'refund'; tx_id: string; amount_minor: Minor; reason: RefundReason }
  | { kind: 'shift_opened'; shift_id: string; staff_ref: string; opening_float_minor: Minor }
  | { kind: 'shift_closed'; shift_id: string; staff_ref: string; expected_minor: Minor; counted_minor: Minor }
  /** The service (ILS, parking) is about to be told of a committed payment: written before it is sent. */
  | { kind: 'service_post'; tx_id: string }
  /** The service's answer to that post: the payment stands, or it was refused (and is given back). */
  | { kind: 'service_result'; tx_id: string; outcome: (typeof SERVICE_OUTCOMES)[number] };

export type EntryKind = EntryPayload['kind'];
export type IntentPayload = Extract<EntryPayload, { kind: 'intent' | 'credit_intent' }>;
export type CommitPayload = Extract<EntryPayload, { kind: 'committed' | 'credit_committed' }>;

/** The same shapes with plain numbers where money goes: what callers hand to `append`. */
export type Unbranded<T> = T extends Minor ? number : T extends object ? { [K in keyof T]: Unbranded<T[K]> } : T;
export type PayloadInput = Unbranded<EntryPayload>;
export type IntentInput = Unbranded<IntentPayload>;

export const INTENT_KINDS = ['intent', 'credit_intent'] as const;
export const COMMIT_KINDS = ['committed', 'credit_committed'] as const;
/** Entries after which a transaction's card outcome is known. */
export const CLOSING_KINDS = ['committed', 'credit_committed', 'aborted', 'settled'] as const;

export class LedgerPayloadError extends TypeError {
  override name = 'LedgerPayloadError';
}

const INTENT_KEYS = ['kind', 'tx_id', 'service', 'card_ref', 'amount_minor', 'balance_before_minor', 'expected_balance_after_minor', 'tmac_counter_before', 'service_ref', 'reverses_tx_id', 'shift_id'];
const COMMIT_KEYS = ['kind', 'tx_id', 'balance_after_minor', 'tmac_counter', 'tmac_value'];
const KEYS: Record<EntryKind, readonly string[]> = {
  intent: INTENT_KEYS,
  credit_intent: INTENT_KEYS,
  committed: COMMIT_KEYS,
  credit_committed: COMMIT_KEYS,
  aborted: ['kind', 'tx_id', 'reason'],
  uncertain: ['kind', 'tx_id', 'unknown', 'cause'],
  settled: ['kind', 'tx_id', 'outcome', 'evidence'],
  refund: ['kind', 'tx_id', 'amount_minor', 'reason'],
  shift_opened: ['kind', 'shift_id', 'staff_ref', 'opening_float_minor'],
  shift_closed: ['kind', 'shift_id', 'staff_ref', 'expected_minor', 'counted_minor'],
  service_post: ['kind', 'tx_id'],
  service_result: ['kind', 'tx_id', 'outcome'],
};
const EVIDENCE_KEYS = ['source', 'balance_minor', 'tmac_counter', 'tmac_value', 'proof'];

export const CARD_REF = /^[0-9a-f]{32,64}$/;
/** Service references and staff refs: identifier characters only, no spaces. */
export const REF = /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,79}$/;
const TMAC_VALUE = /^(?:[0-9A-Fa-f]{2}){1,16}$/;
const TMAC_COUNTER_MAX = 0xffffffff;

function isKind(v: unknown): v is EntryKind {
  return typeof v === 'string' && Object.hasOwn(KEYS, v);
}

/**
 * Checks that `input` is exactly one of the kinds above — every field present,
 * no other field, every value well-formed — and returns it typed. Throws
 * `LedgerPayloadError` naming the first problem.
 */
export function parsePayload(input: unknown): EntryPayload {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new LedgerPayloadError('ledger entry payload must be an object');
  const p = input as Record<string, unknown>;
  if (!isKind(p.kind)) throw new LedgerPayloadError(`unknown ledger entry kind ${String(p.kind)}`);
  const kind = p.kind;
  const bad = (what: string): never => {
    throw new LedgerPayloadError(`ledger ${kind} entry: ${what}`);
  };
  exactKeys(p, KEYS[kind], bad);
  const uuid = (k: string, nullable = false) => (nullable && p[k] === null) || isUuidV7(p[k]) || bad(`${k} must be a UUIDv7`);
  const ref = (k: string, nullable = false) => (nullable && p[k] === null) || (typeof p[k] === 'string' && REF.test(p[k])) || bad(`${k} must be an identifier`);
  const money = (k: string, min: 0 | 1 = 0) => (isMinor(p[k]) && p[k] >= min) || bad(`${k} must be a ${min ? 'positive' : 'non-negative'} integer of minor units`);
  const code = (k: string, codes: readonly string[]) => codes.includes(p[k] as string) || bad(`${k} must be one of ${codes.join(', ')}`);
  const counter = (v: unknown, k: string) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= TMAC_COUNTER_MAX) || bad(`${k} must be a card counter`);
  const tmac = (v: unknown, k: string) => (typeof v === 'string' && TMAC_VALUE.test(v)) || bad(`${k} must be 1-16 bytes of hex`);

  switch (kind) {
    case 'intent':
    case 'credit_intent': {
      uuid('tx_id');
      code('service', kind === 'intent' ? DEBIT_SERVICES : CREDIT_SERVICES);
      if (typeof p.card_ref !== 'string' || !CARD_REF.test(p.card_ref)) bad('card_ref must be a keyed hash (hex)');
      money('amount_minor', 1);
      money('balance_before_minor');
      money('expected_balance_after_minor');
      counter(p.tmac_counter_before, 'tmac_counter_before');
      ref('service_ref', true);
      uuid('reverses_tx_id', true);
      uuid('shift_id', true);
      const reverses = Object.hasOwn(REVERSALS, p.service as string);
      if (reverses !== (p.reverses_tx_id !== null)) bad(reverses ? `a ${String(p.service)} names the transaction it reverses` : 'reverses_tx_id is only for voids and credit backs');
      if (p.service === 'opening_balance' && p.balance_before_minor !== 0) bad('an opening balance goes onto an empty card');
      const sign = kind === 'intent' ? -1 : 1;
      if ((p.balance_before_minor as number) + sign * (p.amount_minor as number) !== p.expected_balance_after_minor) {
        bad(`expected_balance_after_minor must be balance_before_minor ${sign < 0 ? '-' : '+'} amount_minor`);
      }
      break;
    }
    case 'committed':
    case 'credit_committed':
      uuid('tx_id');
      money('balance_after_minor');
      counter(p.tmac_counter, 'tmac_counter');
      tmac(p.tmac_value, 'tmac_value');
      break;
    case 'aborted':
      uuid('tx_id');
      code('reason', ABORT_REASONS);
      break;
    case 'uncertain':
      uuid('tx_id');
      code('unknown', ['card_commit']);
      code('cause', UNCERTAIN_CAUSES);
      break;
    case 'settled': {
      uuid('tx_id');
      code('outcome', ['committed', 'aborted']);
      const e = p.evidence;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) bad('evidence must be an object');
      const ev = e as Record<string, unknown>;
      exactKeys(ev, EVIDENCE_KEYS, (what) => bad(`evidence: ${what}`));
      if (!SETTLE_SOURCES.includes(ev.source as never)) bad(`evidence.source must be one of ${SETTLE_SOURCES.join(', ')}`);
      if (!isMinor(ev.balance_minor) || ev.balance_minor < 0) bad('evidence.balance_minor must be a non-negative integer of minor units');
      counter(ev.tmac_counter, 'evidence.tmac_counter');
      if (ev.tmac_value !== null) tmac(ev.tmac_value, 'evidence.tmac_value');
      if (!SETTLE_PROOFS.includes(ev.proof as never)) bad(`evidence.proof must be one of ${SETTLE_PROOFS.join(', ')}`);
      if ((ev.proof === 'tmac') !== (ev.tmac_value !== null)) bad('evidence.tmac_value is given exactly when the proof is the card’s tmac');
      if ((p.outcome === 'aborted') !== (ev.proof === 'counter_unchanged')) bad('a committed outcome needs the card’s record; an aborted one its unchanged counter');
      break;
    }
    case 'refund':
      uuid('tx_id');
      money('amount_minor', 1);
      code('reason', REFUND_REASONS);
      break;
    case 'shift_opened':
      uuid('shift_id');
      ref('staff_ref');
      money('opening_float_minor');
      break;
    case 'shift_closed':
      uuid('shift_id');
      ref('staff_ref');
      money('expected_minor');
      money('counted_minor');
      break;
    case 'service_post':
      uuid('tx_id');
      break;
    case 'service_result':
      uuid('tx_id');
      code('outcome', SERVICE_OUTCOMES);
      break;
  }
  return input as EntryPayload;
}

function exactKeys(obj: Record<string, unknown>, keys: readonly string[], bad: (what: string) => never): void {
  if (Object.getPrototypeOf(obj) !== Object.prototype && Object.getPrototypeOf(obj) !== null) bad('must be a plain object');
  for (const k of Object.keys(obj)) if (!keys.includes(k)) bad(`has no field ${k}`);
  for (const k of keys) if (!Object.hasOwn(obj, k) || obj[k] === undefined) bad(`${k} is missing`);
}

/** The transaction an entry belongs to, if any (shift entries belong to none). */
export function txIdOf(p: EntryPayload): string | null {
  return 'tx_id' in p ? p.tx_id : null;
}
