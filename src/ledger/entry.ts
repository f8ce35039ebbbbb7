import { createHash } from 'node:crypto';

// Ledger entries: what each kind records, and the canonical bytes that are
// hashed and signed. Only these typed fields exist; there is no free text, so
// nothing personal can be written by accident (DESIGN §8).

export type EntryPayload =
  | {
      kind: 'intent';
      tx_id: string;
      /** library_fine | parking | citation | top_up | void */
      service: string;
      direction: 'debit' | 'credit';
      card_ref: string;
      amount_minor: number;
      balance_before_minor: number;
      expected_balance_after_minor: number;
      tmac_counter_before: number;
      quote_ref: string | null;
      reverses_tx_id: string | null;
      shift_id: string | null;
    }
  | { kind: 'committed'; tx_id: string; balance_after_minor: number; tmac_counter: number; tmac_value: string }
  | { kind: 'aborted'; tx_id: string; reason: string }
  | { kind: 'refund'; tx_id: string; amount_minor: number; reason: string }
  | { kind: 'shift_opened'; shift_id: string; staff_ref: string; opening_float_minor: number }
  | { kind: 'shift_closed'; shift_id: string; staff_ref: string; expected_minor: number; counted_minor: number };

export type EntryKind = EntryPayload['kind'];

export interface LedgerEntry {
  seq: number;
  entry_id: string;
  at: string;
  payload: EntryPayload;
  prev_hash: string;
  hash: string;
  signature: string;
}

export const GENESIS_HASH = '0'.repeat(64);
const ENCODING_VERSION = 'civicard-ledger-entry/1';

const REF = /^[A-Za-z0-9:_.-]{1,80}$/;
const REASON = /^[a-z0-9_.:-]{1,60}$/;
const HEX = /^[0-9A-Fa-f]*$/;

function isMinor(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Throws when a payload is not exactly one of the kinds above with well-formed fields. */
export function assertValidPayload(p: EntryPayload): void {
  const bad = (what: string) => {
    throw new TypeError(`ledger ${p.kind} entry: ${what}`);
  };
  const ref = (v: unknown, what: string, nullable = false) => {
    if (nullable && v === null) return;
    if (typeof v !== 'string' || !REF.test(v)) bad(`${what} must be an identifier`);
  };
  const minor = (v: unknown, what: string) => {
    if (!isMinor(v)) bad(`${what} must be a non-negative integer of minor units`);
  };
  switch (p.kind) {
    case 'intent':
      ref(p.tx_id, 'tx_id');
      ref(p.service, 'service');
      if (p.direction !== 'debit' && p.direction !== 'credit') bad('direction');
      ref(p.card_ref, 'card_ref');
      minor(p.amount_minor, 'amount_minor');
      if (p.amount_minor === 0) bad('amount_minor must be positive');
      minor(p.balance_before_minor, 'balance_before_minor');
      minor(p.expected_balance_after_minor, 'expected_balance_after_minor');
      minor(p.tmac_counter_before, 'tmac_counter_before');
      ref(p.quote_ref, 'quote_ref', true);
      ref(p.reverses_tx_id, 'reverses_tx_id', true);
      ref(p.shift_id, 'shift_id', true);
      return;
    case 'committed':
      ref(p.tx_id, 'tx_id');
      minor(p.balance_after_minor, 'balance_after_minor');
      minor(p.tmac_counter, 'tmac_counter');
      if (typeof p.tmac_value !== 'string' || !HEX.test(p.tmac_value) || p.tmac_value.length > 32) bad('tmac_value must be hex');
      return;
    case 'aborted':
      ref(p.tx_id, 'tx_id');
      if (typeof p.reason !== 'string' || !REASON.test(p.reason)) bad('reason must be a reason code');
      return;
    case 'refund':
      ref(p.tx_id, 'tx_id');
      minor(p.amount_minor, 'amount_minor');
      if (typeof p.reason !== 'string' || !REASON.test(p.reason)) bad('reason must be a reason code');
      return;
    case 'shift_opened':
      ref(p.shift_id, 'shift_id');
      ref(p.staff_ref, 'staff_ref');
      minor(p.opening_float_minor, 'opening_float_minor');
      return;
    case 'shift_closed':
      ref(p.shift_id, 'shift_id');
      ref(p.staff_ref, 'staff_ref');
      minor(p.expected_minor, 'expected_minor');
      minor(p.counted_minor, 'counted_minor');
      return;
    default:
      throw new TypeError(`unknown ledger entry kind ${(p as { kind: unknown }).kind}`);
  }
}

/** JSON with keys sorted at every level: the same payload always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/**
 * SHA-256 over: encoding version, seq, entry id, time, canonical payload and
 * the previous hash, one per line. Changing any of them changes the hash.
 */
export function entryHash(e: Omit<LedgerEntry, 'hash' | 'signature'>): string {
  const text = [ENCODING_VERSION, String(e.seq), e.entry_id, e.at, canonicalJson(e.payload), e.prev_hash].join('\n');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
