import { sign } from 'node:crypto';
import type Database from 'better-sqlite3';
import { newEntryId } from '../shared/ids';
import type { AbortReason, CardEvidence, LedgerWriteResult, PaymentTx, TxId } from '../kiosk/machines/contracts';
import type { KioskLedgerPort } from '../kiosk/runtime/ledger-port';
import { assertDurable, openLedgerDatabase } from './db';
import { assertValidPayload, entryHash, GENESIS_HASH, type EntryPayload, type LedgerEntry } from './entry';
import type { KioskKey } from './kiosk-key';

// The kiosk's ledger (DESIGN §4): append-only, hash-chained, every entry signed
// with the kiosk key, each append durable (synchronous=FULL) before it returns,
// and enqueued for sync in the same SQLite transaction. Writes are idempotent
// by (tx_id, kind): a retry answers `exists` and appends nothing.

interface EntryRow {
  seq: number;
  entry_id: string;
  at: string;
  kind: string;
  tx_id: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
  signature: string;
}

export function rowToEntry(r: EntryRow): LedgerEntry {
  return { seq: r.seq, entry_id: r.entry_id, at: r.at, payload: JSON.parse(r.payload) as EntryPayload, prev_hash: r.prev_hash, hash: r.hash, signature: r.signature };
}

export class KioskLedger implements KioskLedgerPort {
  private checkedAfterFirstWrite = false;
  private readonly stmt;

  static open(path: string, key: KioskKey, now: () => Date = () => new Date()): KioskLedger {
    return new KioskLedger(openLedgerDatabase(path), key, now);
  }

  constructor(
    readonly db: Database.Database,
    private readonly key: KioskKey,
    private readonly now: () => Date = () => new Date(),
  ) {
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get() as string | undefined;
    if (stored === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('kiosk_public_key', ?)").run(key.publicKeyPem);
    else if (stored !== key.publicKeyPem) throw new Error('this ledger was signed by another kiosk key; refusing to mix keys in one chain');
    this.stmt = {
      last: db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1'),
      byTxKind: db.prepare('SELECT seq FROM entries WHERE tx_id = ? AND kind = ?').pluck(),
      insert: db.prepare('INSERT INTO entries (seq, entry_id, at, kind, tx_id, payload, prev_hash, hash, signature) VALUES (@seq, @entry_id, @at, @kind, @tx_id, @payload, @prev_hash, @hash, @signature)'),
      outbox: db.prepare('INSERT INTO outbox (seq) VALUES (?)'),
      money: db.prepare('INSERT INTO money (seq, tx_id, card_ref, direction, amount_minor, at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      intent: db.prepare("SELECT payload FROM entries WHERE tx_id = ? AND kind = 'intent'").pluck(),
      openIntents: db
        .prepare(
          `SELECT i.payload FROM entries i WHERE i.kind = 'intent'
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.tx_id = i.tx_id AND e.kind IN ('committed', 'aborted')) ORDER BY i.seq`,
        )
        .pluck(),
      unsyncedDebits: db
        .prepare("SELECT COALESCE(SUM(m.amount_minor), 0) FROM money m JOIN outbox o ON o.seq = m.seq WHERE o.acked_at IS NULL AND m.direction = 'debit'")
        .pluck(),
      cardDebitsSince: db.prepare("SELECT COALESCE(SUM(amount_minor), 0) FROM money WHERE card_ref = ? AND at_ms >= ? AND direction = 'debit'").pluck(),
    };
  }

  /** Appends one entry (or finds it already there) in a single durable transaction. */
  append(payload: EntryPayload): { status: 'created' | 'exists'; seq: number } {
    assertValidPayload(payload);
    const tx_id = 'tx_id' in payload ? payload.tx_id : null;
    const result = this.db
      .transaction(() => {
        if (tx_id !== null) {
          const existing = this.stmt.byTxKind.get(tx_id, payload.kind) as number | undefined;
          if (existing !== undefined) return { status: 'exists' as const, seq: existing };
        }
        const last = this.stmt.last.get() as { seq: number; hash: string } | undefined;
        const seq = (last?.seq ?? 0) + 1;
        const base = { seq, entry_id: newEntryId(), at: this.now().toISOString(), payload, prev_hash: last?.hash ?? GENESIS_HASH };
        const hash = entryHash(base);
        const signature = sign(null, Buffer.from(hash, 'hex'), this.key.privateKey).toString('base64');
        this.stmt.insert.run({ seq, entry_id: base.entry_id, at: base.at, kind: payload.kind, tx_id, payload: JSON.stringify(payload), prev_hash: base.prev_hash, hash, signature });
        this.stmt.outbox.run(seq);
        if (payload.kind === 'committed') this.recordMoney(seq, payload.tx_id, Date.parse(base.at));
        return { status: 'created' as const, seq };
      })
      .immediate();
    if (!this.checkedAfterFirstWrite) {
      assertDurable(this.db);
      this.checkedAfterFirstWrite = true;
    }
    return result;
  }

  private recordMoney(seq: number, tx_id: string, at_ms: number): void {
    const raw = this.stmt.intent.get(tx_id) as string | undefined;
    if (raw === undefined) throw new Error(`committed entry for ${tx_id} has no intent: the intent is always written first`);
    const intent = JSON.parse(raw) as Extract<EntryPayload, { kind: 'intent' }>;
    this.stmt.money.run(seq, tx_id, intent.card_ref, intent.direction, intent.amount_minor, at_ms);
  }

  private write(payload: EntryPayload): LedgerWriteResult {
    try {
      return { ok: true, value: { status: this.append(payload).status } };
    } catch {
      return { ok: false, error: 'ledger_unavailable' };
    }
  }

  async writeIntent(tx: PaymentTx): Promise<LedgerWriteResult> {
    return this.write({
      kind: 'intent',
      tx_id: tx.tx_id,
      service: tx.kind,
      direction: tx.direction,
      card_ref: tx.card_ref,
      amount_minor: tx.amount_minor,
      balance_before_minor: tx.balance_before_minor,
      expected_balance_after_minor: tx.expected_balance_after_minor,
      tmac_counter_before: tx.tmac_counter_before,
      quote_ref: tx.quote_ref,
      reverses_tx_id: tx.reverses_tx_id,
      shift_id: tx.shift_id,
    });
  }

  async recordCommitted(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult> {
    return this.write({ kind: 'committed', tx_id: tx.tx_id, balance_after_minor: evidence.balance_after_minor, tmac_counter: evidence.tmac_counter, tmac_value: evidence.tmac_value });
  }

  async recordAborted(tx: PaymentTx, reason: AbortReason): Promise<LedgerWriteResult> {
    return this.write({ kind: 'aborted', tx_id: tx.tx_id, reason });
  }

  async recordRefund(tx: PaymentTx, reason: string): Promise<LedgerWriteResult> {
    const code = reason.toLowerCase().replace(/[^a-z0-9_.:-]/g, '_').slice(0, 60) || 'refund';
    return this.write({ kind: 'refund', tx_id: tx.tx_id, amount_minor: tx.amount_minor, reason: code });
  }

  /** Intents with neither a committed nor an aborted entry. */
  async openIntents(): Promise<PaymentTx[]> {
    const rows = this.stmt.openIntents.all() as string[];
    return rows.map((raw) => intentToTx(JSON.parse(raw) as Extract<EntryPayload, { kind: 'intent' }>));
  }

  async unsyncedDebitsMinor(): Promise<number> {
    return this.stmt.unsyncedDebits.get() as number;
  }

  async cardDebitsSinceMinor(card_ref: string, since_ms: number): Promise<number> {
    return this.stmt.cardDebitsSince.get(card_ref, since_ms) as number;
  }

  /** Cash the shift should hold: opening float + committed top-ups − committed voids. */
  shiftExpectedCashMinor(shift_id: string): number {
    const opened = this.db.prepare("SELECT payload FROM entries WHERE kind = 'shift_opened' AND json_extract(payload, '$.shift_id') = ?").pluck().get(shift_id) as string | undefined;
    if (opened === undefined) throw new Error(`no open shift ${shift_id}`);
    const float = (JSON.parse(opened) as { opening_float_minor: number }).opening_float_minor;
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(CASE WHEN m.direction = 'credit' THEN m.amount_minor ELSE -m.amount_minor END), 0)
         FROM money m JOIN entries i ON i.tx_id = m.tx_id AND i.kind = 'intent'
         WHERE json_extract(i.payload, '$.shift_id') = ?`,
      )
      .pluck()
      .get(shift_id) as number;
    return float + row;
  }

  entriesSince(seq: number, limit = 1_000): LedgerEntry[] {
    return (this.db.prepare('SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as EntryRow[]).map(rowToEntry);
  }

  lastEntry(): LedgerEntry | null {
    const row = this.db.prepare('SELECT * FROM entries ORDER BY seq DESC LIMIT 1').get() as EntryRow | undefined;
    return row ? rowToEntry(row) : null;
  }

  /** Oldest first, at most `limit`: what sync uploads next. */
  pendingOutbox(limit: number): LedgerEntry[] {
    return (this.db.prepare('SELECT e.* FROM outbox o JOIN entries e ON e.seq = o.seq WHERE o.acked_at IS NULL ORDER BY o.seq LIMIT ?').all(limit) as EntryRow[]).map(rowToEntry);
  }

  /** The back office holds every entry up to `seq`. */
  markAcknowledged(seq: number): number {
    return this.db.prepare('UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL').run(this.now().toISOString(), seq).changes;
  }

  close(): void {
    this.db.close();
  }
}

function intentToTx(i: Extract<EntryPayload, { kind: 'intent' }>): PaymentTx {
  return {
    tx_id: i.tx_id as TxId,
    kind: i.service as PaymentTx['kind'],
    direction: i.direction,
    card_ref: i.card_ref,
    masked_serial: '',
    amount_minor: i.amount_minor,
    balance_before_minor: i.balance_before_minor,
    expected_balance_after_minor: i.expected_balance_after_minor,
    tmac_counter_before: i.tmac_counter_before,
    quote_ref: i.quote_ref,
    reverses_tx_id: i.reverses_tx_id,
    shift_id: i.shift_id,
    staff_ref: null,
    authorised_by: null,
  };
}
