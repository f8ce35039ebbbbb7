import type Database from 'better-sqlite3';
import { newEntryId } from '../shared/ids';
import type { Minor } from '../shared/money';
import { assertCurrentSchema, assertDurable, openLedgerDatabase } from './db';
import { canonicalJson, entryHash, GENESIS_HASH, signHash } from './encoding';
import { rowToEntry, type EntryRow, type LedgerEntry } from './entry';
import type { KioskKey } from './kiosk-key';
import { moneyRowOf } from './money-check';
import { parsePayload, txIdOf, type EntryPayload, type IntentInput, type IntentPayload, type PayloadInput } from './payload';
import { assertLimit, LedgerQueries, type TxBalance } from './queries';
import { AppendRules } from './rules';
import { checkTail } from './verify';

// The kiosk's ledger (DESIGN §4): append-only, hash-chained, every entry signed
// with the kiosk key. Each append is one IMMEDIATE SQLite transaction that
// writes the entry, its outbox row and (for committed money) its money row, and
// commits with synchronous=FULL before the call returns: when `append` returns,
// the entry survives a power cut. Appends are idempotent (see rules.ts).

export type AppendResult = { status: 'created' | 'exists'; seq: number };

interface ParsedEntry {
  payload: EntryPayload;
  payload_json: string;
  tx_id: string | null;
}

export class LedgerIntegrityError extends Error {
  override name = 'LedgerIntegrityError';
}

export class KioskLedger {
  private checkedAfterFirstWrite = false;
  private readonly appendListeners = new Set<(results: readonly AppendResult[]) => void>();
  private readonly rules: AppendRules;
  private readonly queries: LedgerQueries;
  private readonly stmt;
  /** The append's IMMEDIATE transaction, wrapped once (db.transaction() builds four wrappers per call). */
  private readonly appendInTransaction: (items: readonly ParsedEntry[]) => AppendResult[];

  /** Opens (creating if need be) the ledger file; a subclass's `open` builds that subclass. */
  static open<L extends KioskLedger>(this: new (db: Database.Database, key: KioskKey, now?: () => Date) => L, path: string, key: KioskKey, now: () => Date = () => new Date()): L {
    const db = openLedgerDatabase(path);
    try {
      return new this(db, key, now);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  constructor(
    readonly db: Database.Database,
    private readonly key: KioskKey,
    private readonly now: () => Date = () => new Date(),
  ) {
    assertCurrentSchema(db);
    assertDurable(db);
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get() as string | undefined;
    if (stored === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('kiosk_public_key', ?)").run(key.publicKeyPem);
    else if (stored !== key.publicKeyPem) throw new LedgerIntegrityError('this ledger was signed by another kiosk key; refusing to mix keys in one chain');
    const tail = checkTail(db, key.publicKey);
    if (tail !== null) throw new LedgerIntegrityError(`ledger entry ${tail.seq} is broken (${tail.reason}); refusing to chain onto it`);
    this.rules = new AppendRules(db);
    this.queries = new LedgerQueries(db);
    this.stmt = {
      last: db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare('INSERT INTO entries (seq, entry_id, at, kind, tx_id, payload, prev_hash, hash, signature) VALUES (@seq, @entry_id, @at, @kind, @tx_id, @payload, @prev_hash, @hash, @signature)'),
      outbox: db.prepare('INSERT INTO outbox (seq) VALUES (?)'),
      money: db.prepare('INSERT INTO money (seq, tx_id, card_ref, direction, amount_minor, at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      lastRow: db.prepare('SELECT * FROM entries ORDER BY seq DESC LIMIT 1'),
      since: db.prepare('SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?'),
      pendingCount: db.prepare('SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL').pluck(),
      pending: db.prepare('SELECT e.* FROM outbox o JOIN entries e ON e.seq = o.seq WHERE o.acked_at IS NULL ORDER BY o.seq LIMIT ?'),
      ack: db.prepare('UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL'),
    };
    const appendOne = (payload: EntryPayload, payload_json: string, tx_id: string | null): AppendResult => {
      const decision = this.rules.decide(payload, payload_json);
      if (decision.status === 'exists') return decision;
      const last = this.stmt.last.get() as { seq: number; hash: string } | undefined;
      const fields = { seq: (last?.seq ?? 0) + 1, entry_id: newEntryId(), at: this.now().toISOString(), payload_json, prev_hash: last?.hash ?? GENESIS_HASH };
      const hash = entryHash(fields);
      const signature = signHash(hash, this.key.privateKey);
      this.stmt.insert.run({ seq: fields.seq, entry_id: fields.entry_id, at: fields.at, kind: payload.kind, tx_id, payload: payload_json, prev_hash: fields.prev_hash, hash, signature });
      this.stmt.outbox.run(fields.seq);
      // The money row follows from the signed entry by the one rule verification replays.
      const m = moneyRowOf({ seq: fields.seq, at: fields.at, payload }, decision.before);
      if (m !== null) this.stmt.money.run(m.seq, m.tx_id, m.card_ref, m.direction, m.amount_minor, m.at_ms);
      return { status: 'created', seq: fields.seq };
    };
    this.appendInTransaction = db.transaction((items: readonly ParsedEntry[]): AppendResult[] => items.map((i) => appendOne(i.payload, i.payload_json, i.tx_id))).immediate;
  }

  /**
   * Validates `input`, then appends it (or finds it already there) in one
   * durable transaction. Throws LedgerPayloadError for a malformed payload,
   * LedgerConflictError when the transaction's history does not allow it, and
   * LedgerDurabilityError when the database would not commit with FULL sync.
   */
  append(input: PayloadInput): AppendResult {
    return this.appendAll([input])[0]!;
  }

  /**
   * Several entries in ONE durable transaction (one fsync): all are appended,
   * or none. Each is validated and checked against the rules as if appended
   * alone, after the ones before it.
   */
  appendAll(inputs: readonly PayloadInput[]): AppendResult[] {
    if (this.db.inTransaction) throw new Error('ledger append inside an open transaction would not be durable on return');
    const items = inputs.map((input): ParsedEntry => {
      const payload = parsePayload(input);
      return { payload, payload_json: canonicalJson(payload), tx_id: txIdOf(payload) };
    });
    assertDurable(this.db);
    const results = this.appendInTransaction(items);
    if (!this.checkedAfterFirstWrite) {
      assertDurable(this.db);
      this.checkedAfterFirstWrite = true;
    }
    for (const listener of this.appendListeners) {
      try {
        listener(results);
      } catch {
        // A listener (sync, a screen) never undoes or fails a durable append.
      }
    }
    return results;
  }

  /** Called after each durable append (or batch of appends); returns the unsubscribe. */
  onAppended(listener: (results: readonly AppendResult[]) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** The intent, durable before this returns: only then may the caller touch the card (DESIGN §3 step 3). */
  appendIntent(intent: IntentInput): AppendResult {
    if (intent.kind !== 'intent' && intent.kind !== 'credit_intent') throw new TypeError('appendIntent takes an intent or credit_intent');
    return this.append(intent);
  }

  lastEntry(): LedgerEntry | null {
    const row = this.stmt.lastRow.get() as EntryRow | undefined;
    return row ? rowToEntry(row) : null;
  }

  /** Entries after `seq`, oldest first, at most `limit`. */
  entriesSince(seq: number, limit = 1_000): LedgerEntry[] {
    assertLimit(limit);
    return (this.stmt.since.all(seq, limit) as EntryRow[]).map(rowToEntry);
  }

  // ------------------------------------------------------------ queries

  /** What a transaction did (or was meant to do) to its card's balance, and where it stands. */
  txBalance(tx_id: string): TxBalance | null {
    return this.queries.txBalance(tx_id);
  }

  txBalances(since_seq = 0, limit = 1_000): TxBalance[] {
    return this.queries.txBalances(since_seq, limit);
  }

  /** Offline cap: committed money not yet acknowledged by the back office, plus open intents. */
  unsyncedTotalMinor(direction: 'debit' | 'credit' = 'debit'): Minor {
    return this.queries.unsyncedTotalMinor(direction);
  }

  /** Daily per-card limit: pass the start of the day. */
  cardTotalsSince(card_ref: string, since_ms: number): { debit_minor: Minor; credit_minor: Minor } {
    return this.queries.cardTotalsSince(card_ref, since_ms);
  }

  shiftExpectedCashMinor(shift_id: string): Minor {
    return this.queries.shiftExpectedCashMinor(shift_id);
  }

  // ------------------------------------------------------------ outbox

  /** Oldest first, at most `limit`: what sync uploads next. */
  pendingOutbox(limit: number): LedgerEntry[] {
    assertLimit(limit);
    return (this.stmt.pending.all(limit) as EntryRow[]).map(rowToEntry);
  }

  /** How many entries the back office has not acknowledged. */
  pendingCount(): number {
    return this.stmt.pendingCount.get() as number;
  }

  /** Rows after `seq` exactly as stored (the payload as the canonical text that was hashed): what sync uploads. */
  rowsSince(seq: number, limit: number): EntryRow[] {
    assertLimit(limit);
    return this.stmt.since.all(seq, limit) as EntryRow[];
  }

  /** The back office holds every entry up to `seq_up_to`. Returns how many rows this newly acknowledged. */
  markAcknowledged(seq_up_to: number): number {
    const last = this.stmt.last.get() as { seq: number } | undefined;
    if (!Number.isSafeInteger(seq_up_to) || seq_up_to < 0 || seq_up_to > (last?.seq ?? 0)) {
      throw new RangeError(`cannot acknowledge up to ${seq_up_to}: the ledger ends at ${last?.seq ?? 0}`);
    }
    return this.stmt.ack.run(this.now().toISOString(), seq_up_to).changes;
  }

  // ------------------------------------------------------------ recovery

  /** Intents with no closing entry (committed, aborted or settled), oldest first: what recovery must settle. */
  openIntentPayloads(): IntentPayload[] {
    return this.queries.openIntents().map((o) => o.intent);
  }

  /** The same for one card. */
  openIntentPayloadsOf(card_ref: string): IntentPayload[] {
    return this.queries.openIntentsOf(card_ref);
  }

  /** Intents of payments posted to their service with no answer yet, oldest first. */
  unansweredPostIntents(): IntentPayload[] {
    return this.queries.unansweredPosts();
  }

  close(): void {
    this.db.close();
  }
}
