// The columns reconciliation queries, taken from an entry's payload once, at
// ingest, so the database does the heavy work with plain columns on SQLite and
// PostgreSQL alike (no JSON functions in SQL, which the two spell differently).
import type { EntryRow } from '../ledger/entry';
import { parsePayload, type EntryPayload } from '../ledger/payload';

export interface EntryProjection {
  at_ms: number;
  card_ref: string | null;
  service: string | null;
  direction: 'debit' | 'credit' | null;
  amount_minor: number | null;
  balance_before_minor: number | null;
  balance_after_minor: number | null;
  tmac_counter: number | null;
  tmac_value: string | null;
  outcome: string | null;
  service_ref: string | null;
  reverses_tx_id: string | null;
  shift_id: string | null;
}

const NONE: Omit<EntryProjection, 'at_ms'> = {
  card_ref: null,
  service: null,
  direction: null,
  amount_minor: null,
  balance_before_minor: null,
  balance_after_minor: null,
  tmac_counter: null,
  tmac_value: null,
  outcome: null,
  service_ref: null,
  reverses_tx_id: null,
  shift_id: null,
};

/** Projects a verified row (its payload already passed parsePayload). */
export function projectEntry(row: Pick<EntryRow, 'at' | 'payload'>): EntryProjection {
  const p: EntryPayload = parsePayload(JSON.parse(row.payload));
  const at_ms = Date.parse(row.at);
  switch (p.kind) {
    case 'intent':
    case 'credit_intent':
      return {
        ...NONE,
        at_ms,
        card_ref: p.card_ref,
        service: p.service,
        direction: p.kind === 'intent' ? 'debit' : 'credit',
        amount_minor: p.amount_minor,
        balance_before_minor: p.balance_before_minor,
        balance_after_minor: p.expected_balance_after_minor,
        tmac_counter: p.tmac_counter_before,
        service_ref: p.service_ref,
        reverses_tx_id: p.reverses_tx_id,
        shift_id: p.shift_id,
      };
    case 'committed':
    case 'credit_committed':
      return { ...NONE, at_ms, balance_after_minor: p.balance_after_minor, tmac_counter: p.tmac_counter, tmac_value: p.tmac_value };
    case 'settled':
      return {
        ...NONE,
        at_ms,
        outcome: p.outcome,
        balance_after_minor: p.evidence.balance_minor,
        tmac_counter: p.evidence.tmac_counter,
        tmac_value: p.evidence.tmac_value,
      };
    case 'aborted':
      return { ...NONE, at_ms, outcome: p.reason };
    case 'uncertain':
      return { ...NONE, at_ms, outcome: p.cause };
    case 'refund':
      return { ...NONE, at_ms, amount_minor: p.amount_minor, outcome: p.reason };
    // A shift's opening float rides in amount_minor.
    case 'shift_opened':
      return { ...NONE, at_ms, shift_id: p.shift_id, amount_minor: p.opening_float_minor };
    // A shift's close: amount = what the attendant counted, balance_after = what the ledger expected.
    case 'shift_closed':
      return { ...NONE, at_ms, shift_id: p.shift_id, amount_minor: p.counted_minor, balance_after_minor: p.expected_minor };
    case 'service_post':
      return { ...NONE, at_ms };
    case 'service_result':
      return { ...NONE, at_ms, outcome: p.outcome };
  }
}
