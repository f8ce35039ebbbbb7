import type Database from 'better-sqlite3';
import { CLOSING_KINDS, INTENT_KINDS, type EntryKind, type EntryPayload, type IntentPayload } from './payload';

// What may follow what, checked inside the append transaction so that the
// ledger itself never holds money created or lost by a bug upstream:
//
//   - one intent per tx_id (intent or credit_intent), before any card evidence;
//   - committed follows a debit intent, credit_committed a credit intent;
//   - a transaction closes once: committed | credit_committed | aborted | settled;
//     `aborted` may stand alone (the intent never became durable), nothing
//     closes a transaction that is already closed;
//   - uncertain and settled need an intent that is still open;
//   - a refund needs a committed debit and never exceeds what was paid;
//   - intents of an attendant shift need that shift open; a shift opens once
//     and closes once.
//
// Writing the same entry again (same kind, byte-identical payload) answers
// `exists` and appends nothing, so retries are safe; the same kind with
// different content is a conflict and is refused, never overwritten.

export class LedgerConflictError extends Error {
  override name = 'LedgerConflictError';
}

export type AppendDecision =
  | { status: 'exists'; seq: number }
  | { status: 'append'; money: { card_ref: string; direction: 'debit' | 'credit'; amount_minor: number } | null };

interface Prior {
  seq: number;
  kind: EntryKind;
  payload: string;
}

export class AppendRules {
  private readonly byTx;
  private readonly byShift;

  constructor(db: Database.Database) {
    this.byTx = db.prepare('SELECT seq, kind, payload FROM entries WHERE tx_id = ? ORDER BY seq');
    this.byShift = db.prepare("SELECT seq, kind, payload FROM entries WHERE kind IN ('shift_opened', 'shift_closed') AND json_extract(payload, '$.shift_id') = ? ORDER BY seq");
  }

  /** Runs inside the append transaction. Throws LedgerConflictError when `p` may not be appended. */
  decide(p: EntryPayload, payload_json: string): AppendDecision {
    const prior = ('tx_id' in p ? this.byTx.all(p.tx_id) : this.byShift.all(p.shift_id)) as Prior[];
    const same = prior.find((e) => e.kind === p.kind);
    if (same !== undefined) {
      if (same.payload === payload_json) return { status: 'exists', seq: same.seq };
      throw conflict(p, `already has a ${p.kind} entry (seq ${same.seq}) with different content`);
    }
    const intentRow = prior.find((e) => (INTENT_KINDS as readonly string[]).includes(e.kind));
    const intent = intentRow ? (JSON.parse(intentRow.payload) as IntentPayload) : null;
    const closing = prior.find((e) => (CLOSING_KINDS as readonly string[]).includes(e.kind));

    switch (p.kind) {
      case 'intent':
      case 'credit_intent':
        if (prior.length > 0) throw conflict(p, `tx_id is already used (${prior[0]!.kind} entry, seq ${prior[0]!.seq})`);
        if (p.shift_id !== null) this.assertShiftOpen(p, p.shift_id);
        return { status: 'append', money: null };
      case 'committed':
      case 'credit_committed': {
        const wanted = p.kind === 'committed' ? 'intent' : 'credit_intent';
        if (intent === null || intent.kind !== wanted) throw conflict(p, `needs a prior ${wanted} entry`);
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        return { status: 'append', money: moneyOf(intent) };
      }
      case 'aborted':
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        return { status: 'append', money: null };
      case 'uncertain':
      case 'settled':
        if (intent === null) throw conflict(p, 'needs an intent first');
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        return { status: 'append', money: p.kind === 'settled' && p.outcome === 'committed' ? moneyOf(intent) : null };
      case 'refund': {
        if (intent === null || intent.kind !== 'intent') throw conflict(p, 'a refund needs a debit intent');
        const committed = closing !== undefined && (closing.kind === 'committed' || (closing.kind === 'settled' && (JSON.parse(closing.payload) as { outcome: string }).outcome === 'committed'));
        if (!committed) throw conflict(p, 'a refund needs a payment that the card committed');
        if (p.amount_minor > intent.amount_minor) throw conflict(p, `refund ${p.amount_minor} exceeds the ${intent.amount_minor} paid`);
        return { status: 'append', money: null };
      }
      case 'shift_opened':
        if (prior.length > 0) throw conflict(p, 'shift_id is already used');
        return { status: 'append', money: null };
      case 'shift_closed':
        if (!prior.some((e) => e.kind === 'shift_opened')) throw conflict(p, 'no such shift was opened');
        return { status: 'append', money: null };
    }
  }

  private assertShiftOpen(p: EntryPayload, shift_id: string): void {
    const kinds = (this.byShift.all(shift_id) as Prior[]).map((e) => e.kind);
    if (!kinds.includes('shift_opened')) throw conflict(p, `shift ${shift_id} was never opened`);
    if (kinds.includes('shift_closed')) throw conflict(p, `shift ${shift_id} is closed`);
  }
}

function moneyOf(intent: IntentPayload) {
  return { card_ref: intent.card_ref, direction: intent.kind === 'intent' ? ('debit' as const) : ('credit' as const), amount_minor: intent.amount_minor };
}

function conflict(p: EntryPayload, what: string): LedgerConflictError {
  const subject = 'tx_id' in p ? `tx ${p.tx_id}` : `shift ${p.shift_id}`;
  return new LedgerConflictError(`ledger ${p.kind} for ${subject}: ${what}`);
}
