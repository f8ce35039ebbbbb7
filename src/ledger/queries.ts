import type Database from 'better-sqlite3';
import { assertMinor, type Minor } from '../shared/money';
import type { CreditService, DebitService, EntryKind, EntryPayload, IntentPayload } from './payload';

// Read-side queries the kiosk needs: what recovery must settle, what a
// transaction did to its card's balance, and the totals behind the offline
// risk limits (DESIGN §7). Totals count committed money, plus debit or credit
// intents still open: their card may already have changed, so a limit treats
// them as spent rather than guess.

/** Bound on open intents: recovery settles them one card at a time, so more than this is a fault. */
export const OPEN_INTENTS_MAX = 10_000;

export type TxState = 'open' | 'uncertain' | 'committed' | 'aborted';

export interface TxBalance {
  tx_id: string;
  direction: 'debit' | 'credit';
  service: DebitService | CreditService;
  card_ref: string;
  amount_minor: Minor;
  balance_before_minor: Minor;
  expected_balance_after_minor: Minor;
  /** What the card reported once the change was known to be committed; null otherwise. */
  balance_after_minor: Minor | null;
  state: TxState;
  /** Owed back to the resident by a refund entry (not onto the card). */
  refund_owed_minor: Minor;
  /** Where telling the service stands: not yet, posted (awaiting its answer), accepted or refused. */
  service_post: 'none' | 'posted' | 'accepted' | 'refused';
}

interface TxRow {
  seq: number;
  kind: EntryKind;
  payload: string;
}

/** Folds one transaction's entries (oldest first) into its balance view; null without an intent. */
export function foldTx(rows: readonly TxRow[]): TxBalance | null {
  let view: TxBalance | null = null;
  for (const row of rows) {
    const p = JSON.parse(row.payload) as EntryPayload;
    switch (p.kind) {
      case 'intent':
      case 'credit_intent':
        view = {
          tx_id: p.tx_id,
          direction: p.kind === 'intent' ? 'debit' : 'credit',
          service: p.service,
          card_ref: p.card_ref,
          amount_minor: p.amount_minor,
          balance_before_minor: p.balance_before_minor,
          expected_balance_after_minor: p.expected_balance_after_minor,
          balance_after_minor: null,
          state: 'open',
          refund_owed_minor: 0 as Minor,
          service_post: 'none',
        };
        break;
      case 'committed':
      case 'credit_committed':
        if (view) Object.assign(view, { state: 'committed', balance_after_minor: p.balance_after_minor });
        break;
      case 'aborted':
        if (view) view.state = 'aborted';
        break;
      case 'uncertain':
        if (view && view.state === 'open') view.state = 'uncertain';
        break;
      case 'settled':
        if (view) Object.assign(view, p.outcome === 'committed' ? { state: 'committed', balance_after_minor: p.evidence.balance_minor } : { state: 'aborted' });
        break;
      case 'refund':
        if (view) view.refund_owed_minor = p.amount_minor;
        break;
      case 'service_post':
        if (view) view.service_post = 'posted';
        break;
      case 'service_result':
        if (view) view.service_post = p.outcome;
        break;
      default:
        break;
    }
  }
  return view;
}

interface OpenIntentRow {
  seq: number;
  at: string;
  tx_id: string;
  card_ref: string;
  /** Kept as stored and parsed on the way out, so no caller can alter what is kept. */
  payload: string;
}

/**
 * The open intents, found incrementally. Scanning every intent for a closing
 * entry on each call cost a payment time in proportion to the ledger's length
 * (two calls a payment: the card's settlement and its daily limit). Entries are
 * append-only and a closing entry closes for good, so an intent once seen
 * closed stays closed: each refresh reads only the intents written since the
 * last one, then looks up the closing entry of the few still open (one index
 * probe each). What is held is the open intents themselves, nothing more.
 * Inside a transaction (whose writes may yet roll back) nothing is kept: the
 * caller gets the full query. If the entry last scanned is gone or changed (a
 * tampered file, never the product) everything is scanned again.
 */
class OpenIntents {
  private scanned_to_seq = 0;
  private scanned_hash: string | null = null;
  private readonly open = new Map<number, OpenIntentRow>();
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      tail: db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1'),
      hashAt: db.prepare('SELECT hash FROM entries WHERE seq = ?').pluck(),
      intentsIn: db.prepare(
        "SELECT seq, at, tx_id, json_extract(payload, '$.card_ref') AS card_ref, payload FROM entries WHERE seq > ? AND seq <= ? AND kind IN ('intent', 'credit_intent') ORDER BY seq",
      ),
      closed: db.prepare("SELECT 1 FROM entries WHERE tx_id = ? AND kind IN ('committed', 'credit_committed', 'aborted', 'settled') LIMIT 1").pluck(),
    };
  }

  /** Open intents oldest first, or null inside a transaction (the caller queries instead). */
  rows(): readonly OpenIntentRow[] | null {
    if (this.db.inTransaction) return null;
    if (this.scanned_hash !== null && this.stmt.hashAt.get(this.scanned_to_seq) !== this.scanned_hash) this.reset();
    const tail = this.stmt.tail.get() as { seq: number; hash: string } | undefined;
    if (tail !== undefined && tail.seq > this.scanned_to_seq) {
      for (const row of this.stmt.intentsIn.all(this.scanned_to_seq, tail.seq) as OpenIntentRow[]) this.open.set(row.seq, row);
      this.scanned_to_seq = tail.seq;
      this.scanned_hash = tail.hash;
    }
    for (const [seq, row] of this.open) if (this.stmt.closed.get(row.tx_id) !== undefined) this.open.delete(seq);
    return [...this.open.values()];
  }

  private reset(): void {
    this.open.clear();
    this.scanned_to_seq = 0;
    this.scanned_hash = null;
  }
}

export class LedgerQueries {
  private readonly stmt;
  private readonly openIntentRows: OpenIntents;

  constructor(db: Database.Database) {
    this.openIntentRows = new OpenIntents(db);
    const open = `FROM entries i WHERE i.kind IN ('intent', 'credit_intent')
      AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.tx_id = i.tx_id AND c.kind IN ('committed', 'credit_committed', 'aborted', 'settled'))`;
    this.stmt = {
      open: db.prepare(`SELECT i.seq, i.at, i.payload ${open} ORDER BY i.seq LIMIT ?`),
      tx: db.prepare('SELECT seq, kind, payload FROM entries WHERE tx_id = ? ORDER BY seq'),
      openOfCard: db.prepare(`SELECT i.payload ${open} AND json_extract(i.payload, '$.card_ref') = ? ORDER BY i.seq LIMIT ?`).pluck(),
      txIds: db.prepare("SELECT tx_id FROM entries WHERE kind IN ('intent', 'credit_intent') AND seq > ? ORDER BY seq LIMIT ?").pluck(),
      posted: db
        .prepare(
          `SELECT i.payload FROM entries p JOIN entries i ON i.tx_id = p.tx_id AND i.kind = 'intent'
           WHERE p.kind = 'service_post' AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.tx_id = p.tx_id AND r.kind = 'service_result')
           ORDER BY p.seq LIMIT ?`,
        )
        .pluck(),
      unsynced: db.prepare('SELECT COALESCE(SUM(m.amount_minor), 0) FROM money m JOIN outbox o ON o.seq = m.seq WHERE o.acked_at IS NULL AND m.direction = ?').pluck(),
      // Both directions in one pass over the card's rows (it was one query per direction).
      card: db.prepare("SELECT COALESCE(SUM(CASE WHEN direction = 'debit' THEN amount_minor END), 0) AS debit, COALESCE(SUM(CASE WHEN direction = 'credit' THEN amount_minor END), 0) AS credit FROM money WHERE card_ref = ? AND at_ms >= ?"),
      shiftOpened: db.prepare("SELECT payload FROM entries WHERE kind = 'shift_opened' AND json_extract(payload, '$.shift_id') = ?").pluck(),
      shiftNet: db.prepare(
        `SELECT COALESCE(SUM(CASE WHEN m.direction = 'credit' THEN m.amount_minor ELSE -m.amount_minor END), 0)
         FROM money m JOIN entries i ON i.tx_id = m.tx_id AND i.kind IN ('intent', 'credit_intent')
         WHERE json_extract(i.payload, '$.shift_id') = ?`,
      ).pluck(),
    };
  }

  /** Intents with no committed, credit_committed, aborted or settled entry, oldest first. */
  openIntents(): { seq: number; at_ms: number; intent: IntentPayload }[] {
    const rows = this.openIntentRows.rows()?.slice(0, OPEN_INTENTS_MAX + 1) ?? (this.stmt.open.all(OPEN_INTENTS_MAX + 1) as { seq: number; at: string; payload: string }[]);
    if (rows.length > OPEN_INTENTS_MAX) throw new Error(`more than ${OPEN_INTENTS_MAX} open intents: the kiosk must stop and be settled`);
    return rows.map((r) => ({ seq: r.seq, at_ms: Date.parse(r.at), intent: JSON.parse(r.payload) as IntentPayload }));
  }

  /** Payments posted to their service with no answer yet (the service was down, the kiosk died): what to post again. */
  unansweredPosts(): IntentPayload[] {
    return (this.stmt.posted.all(OPEN_INTENTS_MAX) as string[]).map((p) => JSON.parse(p) as IntentPayload);
  }

  /** One card's open (or uncertain) intents, oldest first. */
  openIntentsOf(card_ref: string): IntentPayload[] {
    const rows = this.openIntentRows.rows();
    const payloads = rows ? rows.filter((r) => r.card_ref === card_ref).slice(0, OPEN_INTENTS_MAX).map((r) => r.payload) : (this.stmt.openOfCard.all(card_ref, OPEN_INTENTS_MAX) as string[]);
    return payloads.map((p) => JSON.parse(p) as IntentPayload);
  }

  txBalance(tx_id: string): TxBalance | null {
    return foldTx(this.stmt.tx.all(tx_id) as TxRow[]);
  }

  /** Transactions whose intent comes after `since_seq`, oldest first, at most `limit`. */
  txBalances(since_seq: number, limit: number): TxBalance[] {
    assertLimit(limit);
    return (this.stmt.txIds.all(since_seq, limit) as string[]).flatMap((tx_id) => this.txBalance(tx_id) ?? []);
  }

  /** Committed money in one direction not yet acknowledged by the back office, plus open intents in that direction. */
  unsyncedTotalMinor(direction: 'debit' | 'credit'): Minor {
    const committed = this.stmt.unsynced.get(direction) as number;
    return total(committed, this.openIntents().filter((o) => directionOf(o.intent) === direction));
  }

  /** One card's committed money (plus open intents) since `since_ms`, e.g. the start of the day. */
  cardTotalsSince(card_ref: string, since_ms: number): { debit_minor: Minor; credit_minor: Minor } {
    const open = this.openIntents().filter((o) => o.intent.card_ref === card_ref && o.at_ms >= since_ms);
    const committed = this.stmt.card.get(card_ref, since_ms) as { debit: number; credit: number };
    const sum = (direction: 'debit' | 'credit') => total(committed[direction], open.filter((o) => directionOf(o.intent) === direction));
    return { debit_minor: sum('debit'), credit_minor: sum('credit') };
  }

  /** Cash the shift should hold: opening float + committed top-ups − committed voids. */
  shiftExpectedCashMinor(shift_id: string): Minor {
    const opened = this.stmt.shiftOpened.get(shift_id) as string | undefined;
    if (opened === undefined) throw new Error(`no shift ${shift_id} was opened`);
    const float = (JSON.parse(opened) as { opening_float_minor: number }).opening_float_minor;
    const expected = float + (this.stmt.shiftNet.get(shift_id) as number);
    assertMinor(expected, 'expected cash');
    return expected;
  }
}

function directionOf(intent: IntentPayload): 'debit' | 'credit' {
  return intent.kind === 'intent' ? 'debit' : 'credit';
}

function total(committed: number, open: readonly { intent: IntentPayload }[]): Minor {
  const sum = open.reduce((s, o) => s + o.intent.amount_minor, committed);
  assertMinor(sum, 'total');
  return sum;
}

export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100_000) throw new RangeError(`limit must be 1..100000, not ${limit}`);
}
