import type Database from 'better-sqlite3';
import { CLOSING_KINDS, INTENT_KINDS, REVERSALS, type EntryKind, type EntryPayload, type IntentPayload, type SettleEvidence } from './payload';
import { foldTx } from './queries';

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
//   - a service post needs a payment the card committed; its result needs the post;
//   - intents of an attendant shift need that shift open; a shift opens once
//     and closes once.
//
// And money across transactions (DESIGN §3, §5):
//   - the card's evidence must match what the intent expected: a commit leaves
//     the expected balance and a counter past the one read before it; a
//     settlement's proof must agree with the counter and balance it shows;
//   - a card's counter never goes back, and at the counter this ledger last saw
//     its balance is the one it last saw (a restored or cloned card is refused);
//   - at most one reversal per transaction: a void reverses a committed top-up
//     of the same card and amount, a credit back a committed payment of the same
//     card and no more than was paid; while one reversal is open or committed no
//     other (nor a refund) is accepted, and a refund is refused while a credit
//     back for that payment is open or committed.
//
// Writing the same entry again (same kind, byte-identical payload) answers
// `exists` and appends nothing, so retries are safe; the same kind with
// different content is a conflict and is refused, never overwritten.

export class LedgerConflictError extends Error {
  override name = 'LedgerConflictError';
}

/** `before`: the transaction's (or shift's) entries already written, oldest first — what the money row is derived from. */
export type AppendDecision = { status: 'exists'; seq: number } | { status: 'append'; before: EntryPayload[] };

interface Prior {
  seq: number;
  kind: EntryKind;
  payload: string;
}

export class AppendRules {
  private readonly byTx;
  private readonly byShift;

  private readonly reversalsOf;
  private readonly lastCardEvidence;

  constructor(db: Database.Database) {
    this.byTx = db.prepare('SELECT seq, kind, payload FROM entries WHERE tx_id = ? ORDER BY seq');
    this.reversalsOf = db
      .prepare("SELECT tx_id FROM entries WHERE kind IN ('intent', 'credit_intent') AND json_extract(payload, '$.reverses_tx_id') = ? ORDER BY seq")
      .pluck();
    this.lastCardEvidence = db.prepare(
      `SELECT c.kind, c.payload FROM entries c
       WHERE c.kind IN ('committed', 'credit_committed', 'settled')
         AND c.tx_id IN (SELECT i.tx_id FROM entries i WHERE i.kind IN ('intent', 'credit_intent') AND json_extract(i.payload, '$.card_ref') = ?)
       ORDER BY c.seq DESC LIMIT 1`,
    );
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
    const append: AppendDecision = { status: 'append', before: prior.map((e) => JSON.parse(e.payload) as EntryPayload) };
    const intentRow = prior.find((e) => (INTENT_KINDS as readonly string[]).includes(e.kind));
    const intent = intentRow ? (JSON.parse(intentRow.payload) as IntentPayload) : null;
    const closing = prior.find((e) => (CLOSING_KINDS as readonly string[]).includes(e.kind));

    switch (p.kind) {
      case 'intent':
      case 'credit_intent':
        if (prior.length > 0) throw conflict(p, `tx_id is already used (${prior[0]!.kind} entry, seq ${prior[0]!.seq})`);
        if (p.shift_id !== null) this.assertShiftOpen(p, p.shift_id);
        this.assertCardContinues(p);
        if (p.reverses_tx_id !== null) this.assertReversible(p, p.reverses_tx_id);
        return append;
      case 'committed':
      case 'credit_committed': {
        const wanted = p.kind === 'committed' ? 'intent' : 'credit_intent';
        if (intent === null || intent.kind !== wanted) throw conflict(p, `needs a prior ${wanted} entry`);
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        if (p.balance_after_minor !== intent.expected_balance_after_minor) {
          throw conflict(p, `the card shows ${p.balance_after_minor} after the change, the intent expected ${intent.expected_balance_after_minor}`);
        }
        if (p.tmac_counter <= intent.tmac_counter_before) throw conflict(p, `the card's counter ${p.tmac_counter} did not move past ${intent.tmac_counter_before}`);
        return append;
      }
      case 'aborted':
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        return append;
      case 'uncertain':
      case 'settled':
        if (intent === null) throw conflict(p, 'needs an intent first');
        if (closing) throw conflict(p, `is already closed by ${closing.kind} (seq ${closing.seq})`);
        if (p.kind === 'settled') assertProofFits(p, p.evidence, intent);
        return append;
      case 'refund': {
        if (intent === null || intent.kind !== 'intent') throw conflict(p, 'a refund needs a debit intent');
        const committed = closing !== undefined && (closing.kind === 'committed' || (closing.kind === 'settled' && (JSON.parse(closing.payload) as { outcome: string }).outcome === 'committed'));
        if (!committed) throw conflict(p, 'a refund needs a payment that the card committed');
        if (p.amount_minor > intent.amount_minor) throw conflict(p, `refund ${p.amount_minor} exceeds the ${intent.amount_minor} paid`);
        const back = this.liveReversal(p.tx_id);
        if (back !== null) throw conflict(p, `credit back ${back.tx_id} of this payment is ${back.state}: no refund on top of it`);
        return append;
      }
      case 'service_post': {
        const paid = intent !== null && intent.kind === 'intent' && intent.service !== 'void' && foldTx(prior)?.state === 'committed';
        if (!paid) throw conflict(p, 'a service is told only of a payment the card committed');
        return append;
      }
      case 'service_result':
        if (!prior.some((e) => e.kind === 'service_post')) throw conflict(p, 'needs a service_post first');
        return append;
      case 'shift_opened':
        if (prior.length > 0) throw conflict(p, 'shift_id is already used');
        return append;
      case 'shift_closed':
        if (!prior.some((e) => e.kind === 'shift_opened')) throw conflict(p, 'no such shift was opened');
        return append;
    }
  }

  /** The reversal of `target` that is open, uncertain or committed, if any (an aborted one reversed nothing). */
  private liveReversal(target: string): { tx_id: string; state: string } | null {
    for (const tx_id of this.reversalsOf.all(target) as string[]) {
      const state = foldTx(this.byTx.all(tx_id) as Prior[])?.state;
      if (state !== undefined && state !== 'aborted') return { tx_id, state };
    }
    return null;
  }

  private assertReversible(p: IntentPayload, target_id: string): void {
    const target = foldTx(this.byTx.all(target_id) as Prior[]);
    const refunded = (this.byTx.all(target_id) as Prior[]).some((e) => e.kind === 'refund');
    const reversible = REVERSALS[p.service as keyof typeof REVERSALS] as readonly string[];
    if (target === null || !reversible.includes(target.service)) throw conflict(p, `a ${p.service} reverses a ${reversible.join(' or ')}, and ${target_id} is not one`);
    if (target.state !== 'committed') throw conflict(p, `${target_id} is ${target.state}, not committed: there is nothing to reverse`);
    if (target.card_ref !== p.card_ref) throw conflict(p, `${target_id} was on another card`);
    if (p.service === 'void' ? p.amount_minor !== target.amount_minor : p.amount_minor > target.amount_minor) {
      throw conflict(p, `${p.amount_minor} does not reverse the ${target.amount_minor} of ${target_id}`);
    }
    const live = this.liveReversal(target_id);
    if (live !== null) throw conflict(p, `${target_id} is already reversed by ${live.tx_id} (${live.state})`);
    if (refunded) throw conflict(p, `${target_id} was already refunded`);
  }

  /** The card's counter never goes back; at the counter last seen, so is the balance. */
  private assertCardContinues(p: IntentPayload): void {
    const last = this.lastCardEvidence.get(p.card_ref) as { kind: EntryKind; payload: string } | undefined;
    if (last === undefined) return;
    const seen = cardStateAfter(JSON.parse(last.payload) as EntryPayload);
    if (seen === null) return;
    if (p.tmac_counter_before < seen.tmac_counter) {
      throw conflict(p, `the card's counter ${p.tmac_counter_before} is behind the ${seen.tmac_counter} this ledger already saw: a restored or cloned card`);
    }
    if (p.tmac_counter_before === seen.tmac_counter && p.balance_before_minor !== seen.balance_minor) {
      throw conflict(p, `at counter ${seen.tmac_counter} the card held ${seen.balance_minor}, not ${p.balance_before_minor}`);
    }
  }

  private assertShiftOpen(p: EntryPayload, shift_id: string): void {
    const kinds = (this.byShift.all(shift_id) as Prior[]).map((e) => e.kind);
    if (!kinds.includes('shift_opened')) throw conflict(p, `shift ${shift_id} was never opened`);
    if (kinds.includes('shift_closed')) throw conflict(p, `shift ${shift_id} is closed`);
  }
}

/** What the card held, and its counter, right after an entry's evidence was taken. */
function cardStateAfter(p: EntryPayload): { tmac_counter: number; balance_minor: number } | null {
  if (p.kind === 'committed' || p.kind === 'credit_committed') return { tmac_counter: p.tmac_counter, balance_minor: p.balance_after_minor };
  if (p.kind === 'settled') return { tmac_counter: p.evidence.tmac_counter, balance_minor: p.evidence.balance_minor };
  return null;
}

/** A settlement's proof must agree with the intent it settles. */
function assertProofFits(p: EntryPayload, e: SettleEvidence, intent: IntentPayload): void {
  switch (e.proof) {
    case 'counter_unchanged':
      if (e.tmac_counter !== intent.tmac_counter_before) throw conflict(p, `the counter moved from ${intent.tmac_counter_before} to ${e.tmac_counter}: not proof that nothing committed`);
      if (e.balance_minor !== intent.balance_before_minor) throw conflict(p, `the card holds ${e.balance_minor}, not the ${intent.balance_before_minor} it held before`);
      return;
    case 'tmac':
      if (e.tmac_counter <= intent.tmac_counter_before) throw conflict(p, `the card's counter ${e.tmac_counter} did not move past ${intent.tmac_counter_before}`);
      if (e.balance_minor !== intent.expected_balance_after_minor) throw conflict(p, `the card shows ${e.balance_minor} after its last commit, the intent expected ${intent.expected_balance_after_minor}`);
      return;
    case 'card_record':
      if (e.tmac_counter <= intent.tmac_counter_before) throw conflict(p, `the card's counter ${e.tmac_counter} did not move past ${intent.tmac_counter_before}`);
      return;
  }
}

function conflict(p: EntryPayload, what: string): LedgerConflictError {
  const subject = 'tx_id' in p ? `tx ${p.tx_id}` : `shift ${p.shift_id}`;
  return new LedgerConflictError(`ledger ${p.kind} for ${subject}: ${what}`);
}
