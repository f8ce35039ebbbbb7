import type { AbortReason, CardEvidence, LedgerWriteResult, PaymentTx, TxId } from '../machines/contracts';

// What the kiosk runtime needs from its ledger. The SQLite ledger (src/ledger)
// implements it for real; MemoryKioskLedger below is the unit-test stand-in.
// Every write is idempotent by tx_id and entry kind: a retry answers `exists`.

export type LedgerEntryKind = 'intent' | 'committed' | 'aborted' | 'refund';

export interface LedgerEntryView {
  readonly kind: LedgerEntryKind;
  readonly tx_id: TxId;
  readonly card_ref: string;
  readonly amount_minor: number;
  readonly direction: 'debit' | 'credit';
  readonly at_ms: number;
}

export interface KioskLedgerPort {
  writeIntent(tx: PaymentTx): Promise<LedgerWriteResult>;
  recordCommitted(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult>;
  recordAborted(tx: PaymentTx, reason: AbortReason): Promise<LedgerWriteResult>;
  /** Money owed back to a resident that could not go back onto the card. */
  recordRefund(tx: PaymentTx, reason: string): Promise<LedgerWriteResult>;
  /** Intents with no committed or aborted entry: what recovery must settle. */
  openIntents(): Promise<PaymentTx[]>;
  /** Committed debits not yet acknowledged by the back office. */
  unsyncedDebitsMinor(): Promise<number>;
  /** Committed debits of one card since `since_ms`. */
  cardDebitsSinceMinor(card_ref: string, since_ms: number): Promise<number>;
}

/** In-memory ledger for unit tests of the runtime: same idempotency rules, no durability. */
export class MemoryKioskLedger implements KioskLedgerPort {
  readonly entries: LedgerEntryView[] = [];
  private readonly intents = new Map<TxId, PaymentTx>();

  constructor(private readonly now: () => number = Date.now) {}

  private append(kind: LedgerEntryKind, tx: PaymentTx): LedgerWriteResult {
    if (this.entries.some((e) => e.kind === kind && e.tx_id === tx.tx_id)) return { ok: true, value: { status: 'exists' } };
    this.entries.push({ kind, tx_id: tx.tx_id, card_ref: tx.card_ref, amount_minor: tx.amount_minor, direction: tx.direction, at_ms: this.now() });
    return { ok: true, value: { status: 'created' } };
  }

  async writeIntent(tx: PaymentTx) {
    this.intents.set(tx.tx_id, tx);
    return this.append('intent', tx);
  }
  async recordCommitted(tx: PaymentTx) {
    return this.append('committed', tx);
  }
  async recordAborted(tx: PaymentTx) {
    return this.append('aborted', tx);
  }
  async recordRefund(tx: PaymentTx) {
    return this.append('refund', tx);
  }
  async openIntents() {
    const closed = new Set(this.entries.filter((e) => e.kind === 'committed' || e.kind === 'aborted').map((e) => e.tx_id));
    return [...this.intents.values()].filter((tx) => !closed.has(tx.tx_id));
  }
  async unsyncedDebitsMinor() {
    return this.entries.filter((e) => e.kind === 'committed' && e.direction === 'debit').reduce((sum, e) => sum + e.amount_minor, 0);
  }
  async cardDebitsSinceMinor(card_ref: string, since_ms: number) {
    return this.entries
      .filter((e) => e.kind === 'committed' && e.direction === 'debit' && e.card_ref === card_ref && e.at_ms >= since_ms)
      .reduce((sum, e) => sum + e.amount_minor, 0);
  }
}
