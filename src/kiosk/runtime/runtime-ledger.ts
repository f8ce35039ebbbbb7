import { KioskLedger, LedgerConflictError, LedgerPayloadError, type PayloadInput, type SettleEvidence, type TxBalance, type Unbranded } from '../../ledger';
import type { AbortReason, CardEvidence, LedgerWriteResult, PaymentTx, UncertaintyCause } from '../machines/contracts';
import type { KioskLedgerPort } from './ledger-port';
import { commitOf, intentOf, refundReasonOf, txOf } from './ledger-mapping';

// The station ledger as the kiosk runtime sees it: the ledger (src/ledger) in
// the machines' terms. The ledger knows entries; this maps PaymentTx to them and
// turns append errors into the machines' LedgerWriteResult.

export class RuntimeLedger extends KioskLedger implements KioskLedgerPort {
  /** The last error a port write turned into `ledger_unavailable` or `ledger_fault`, for the maintenance screen and tests. */
  lastWriteError: Error | null = null;

  private write(payload: PayloadInput): LedgerWriteResult {
    return this.writeAll([payload]);
  }

  private writeAll(payloads: readonly PayloadInput[]): LedgerWriteResult {
    try {
      const results = this.appendAll(payloads);
      return { ok: true, value: { status: results.every((r) => r.status === 'exists') ? 'exists' : 'created' } };
    } catch (e) {
      this.lastWriteError = e instanceof Error ? e : new Error(String(e));
      // A refusal is a fault for staff: retrying the same entry cannot succeed.
      const refused = e instanceof LedgerConflictError || e instanceof LedgerPayloadError;
      return { ok: false, error: refused ? 'ledger_fault' : 'ledger_unavailable' };
    }
  }

  async writeIntent(tx: PaymentTx): Promise<LedgerWriteResult> {
    return this.write(intentOf(tx));
  }

  async recordCommitted(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult> {
    return this.write(commitOf(tx, evidence));
  }

  /** The committed entry and the post to its service, in one durable transaction: one fsync for both. */
  async recordCommittedAndPost(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult> {
    return this.writeAll([commitOf(tx, evidence), { kind: 'service_post', tx_id: tx.tx_id }]);
  }

  async recordAborted(tx: PaymentTx, reason: AbortReason): Promise<LedgerWriteResult> {
    return this.write({ kind: 'aborted', tx_id: tx.tx_id, reason });
  }

  /** Money owed back for a committed payment that could not go back onto the card. */
  async recordRefund(tx: PaymentTx, reason: string): Promise<LedgerWriteResult> {
    return this.write({ kind: 'refund', tx_id: tx.tx_id, amount_minor: tx.amount_minor, reason: refundReasonOf(reason) });
  }

  /**
   * The card write's outcome is unknown; only the same card (or the back
   * office) can settle it. A transaction already recorded as uncertain, for
   * whatever cause, answers `exists`.
   */
  async recordUncertain(tx: PaymentTx, cause: UncertaintyCause): Promise<LedgerWriteResult> {
    if (this.txBalance(tx.tx_id)?.state === 'uncertain') return { ok: true, value: { status: 'exists' } };
    return this.write({ kind: 'uncertain', tx_id: tx.tx_id, unknown: 'card_commit', cause });
  }

  async recordSettled(tx: PaymentTx, outcome: 'committed' | 'aborted', evidence: Unbranded<SettleEvidence>): Promise<LedgerWriteResult> {
    return this.write({ kind: 'settled', tx_id: tx.tx_id, outcome, evidence });
  }

  async openIntents(): Promise<PaymentTx[]> {
    return this.openIntentPayloads().map(txOf);
  }

  /** Written before the service is told of the payment; a retry (same tx, same content) answers `exists`. */
  async recordServicePost(tx: PaymentTx): Promise<LedgerWriteResult> {
    return this.write({ kind: 'service_post', tx_id: tx.tx_id });
  }

  async recordServiceResult(tx: PaymentTx, outcome: 'accepted' | 'refused'): Promise<LedgerWriteResult> {
    return this.write({ kind: 'service_result', tx_id: tx.tx_id, outcome });
  }

  /** Payments whose service post has no answer yet, oldest first. */
  async unansweredServicePosts(): Promise<PaymentTx[]> {
    return this.unansweredPostIntents().map(txOf);
  }

  /** One card's intents that are open or uncertain: what its next read settles. */
  async openIntentsOf(card_ref: string): Promise<PaymentTx[]> {
    return this.openIntentPayloadsOf(card_ref).map(txOf);
  }

  /** Where a transaction stands (null: never written). */
  async txState(tx_id: string): Promise<TxBalance | null> {
    return this.txBalance(tx_id);
  }

  async unsyncedDebitsMinor(): Promise<number> {
    return this.unsyncedTotalMinor('debit');
  }

  async cardDebitsSinceMinor(card_ref: string, since_ms: number): Promise<number> {
    return this.cardTotalsSince(card_ref, since_ms).debit_minor;
  }
}
