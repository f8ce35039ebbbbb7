import type { SettleEvidence, TxBalance, Unbranded } from '../../ledger';
import type { AbortReason, CardEvidence, LedgerWriteResult, PaymentTx, UncertaintyCause } from '../machines/contracts';

// What the kiosk runtime needs from its ledger. The SQLite ledger (src/ledger)
// implements it; tests use it too, on `:memory:` (a looser fake would let a
// broken payload pass every runtime test). Every write is idempotent by tx_id
// and entry kind: a retry answers `exists`.

export interface KioskLedgerPort {
  writeIntent(tx: PaymentTx): Promise<LedgerWriteResult>;
  recordCommitted(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult>;
  recordAborted(tx: PaymentTx, reason: AbortReason): Promise<LedgerWriteResult>;
  /** Money owed back to a resident that could not go back onto the card. */
  recordRefund(tx: PaymentTx, reason: string): Promise<LedgerWriteResult>;
  /** Already uncertain (for any cause) answers `exists`. */
  recordUncertain(tx: PaymentTx, cause: UncertaintyCause): Promise<LedgerWriteResult>;
  recordSettled(tx: PaymentTx, outcome: 'committed' | 'aborted', evidence: Unbranded<SettleEvidence>): Promise<LedgerWriteResult>;
  /** Intents with no committed, aborted or settled entry: what recovery must settle. */
  openIntents(): Promise<PaymentTx[]>;
  /** The same for one card. */
  openIntentsOf(card_ref: string): Promise<PaymentTx[]>;
  txState(tx_id: string): Promise<TxBalance | null>;
  recordServicePost(tx: PaymentTx): Promise<LedgerWriteResult>;
  /** The committed entry and its service post in one durable write. */
  recordCommittedAndPost(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult>;
  recordServiceResult(tx: PaymentTx, outcome: 'accepted' | 'refused'): Promise<LedgerWriteResult>;
  unansweredServicePosts(): Promise<PaymentTx[]>;
  /** Committed debits not yet acknowledged by the back office. */
  unsyncedDebitsMinor(): Promise<number>;
  /** Committed debits of one card since `since_ms`. */
  cardDebitsSinceMinor(card_ref: string, since_ms: number): Promise<number>;
}
