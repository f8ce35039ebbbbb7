import { settlementFrom, type CardReading, type Settlement } from '../../card/purse';
import type { SettleEvidence, Unbranded } from '../../ledger';
import type { LedgerWriteError, PaymentTx, TxKind } from '../machines/contracts';
import type { KioskLedgerPort } from './ledger-port';

// Settling transactions whose card outcome is unknown (DESIGN §3), in one
// place for the resident kiosk and the attendant station alike:
//   - at boot, every intent left open by a crash is recorded as `uncertain`
//     (nothing waits for its card: other residents are served meanwhile);
//   - whenever a card is read, every open or uncertain intent of that card is
//     settled from that very reading: its record in the history → committed;
//     its counter unchanged since the intent → not committed; anything else
//     stays uncertain for the back office. Absence of a record alone proves
//     nothing;
//   - a credit back settled as not committed leaves a refund entry for the
//     payment it was to give back; a service payment settled as committed
//     leaves a post for its service (store and forward tells it).

const SERVICE_PAYMENTS: readonly TxKind[] = ['library_fine', 'parking', 'citation'];

export type SettledTx =
  | { readonly outcome: 'committed'; readonly balance_after_minor: number }
  | { readonly outcome: 'not_committed' }
  | { readonly outcome: 'unknown' }
  | { readonly outcome: 'not_recorded'; readonly error: LedgerWriteError };

/** The `settled` entry a settlement becomes; null when the card could not tell. */
export function settledEntryOf(s: Settlement): { outcome: 'committed' | 'aborted'; evidence: Unbranded<SettleEvidence> } | null {
  if (s.outcome === 'unknown') return null;
  const base = { source: 'same_card' as const, balance_minor: s.balance_minor, tmac_counter: s.tmac_counter };
  if (s.outcome === 'not_committed') return { outcome: 'aborted', evidence: { ...base, tmac_value: null, proof: s.proof } };
  return { outcome: 'committed', evidence: { ...base, tmac_value: s.proof === 'tmac' ? s.tmac_value_hex : null, proof: s.proof } };
}

/** Records one transaction's settlement from a reading of its card. */
export async function settleFromReading(ledger: KioskLedgerPort, tx: PaymentTx, reading: CardReading): Promise<SettledTx> {
  const settlement = settlementFrom(reading, tx.tx_id, tx.tmac_counter_before);
  const entry = settledEntryOf(settlement);
  if (entry === null) return { outcome: 'unknown' };
  const written = await ledger.recordSettled(tx, entry.outcome, entry.evidence);
  if (!written.ok) return { outcome: 'not_recorded', error: written.error };
  if (entry.outcome === 'committed' && SERVICE_PAYMENTS.includes(tx.kind)) {
    // A payment the card did take: its service must hear of it, even if the resident has long left.
    const posted = await ledger.recordServicePost(tx);
    if (!posted.ok) return { outcome: 'not_recorded', error: posted.error };
  }
  if (entry.outcome === 'aborted' && tx.kind === 'credit_back' && tx.reverses_tx_id !== null) {
    // The service refused the payment and its credit back never reached the card: the money is
    // owed back all the same, now as a refund (never silence, never a second credit back).
    const refund = await ledger.recordRefund({ ...tx, tx_id: tx.reverses_tx_id, direction: 'debit' }, 'service_refused');
    if (!refund.ok) return { outcome: 'not_recorded', error: refund.error };
  }
  return settlement.outcome === 'committed' ? { outcome: 'committed', balance_after_minor: settlement.record.balance_after_minor } : { outcome: 'not_committed' };
}

/** Every open or uncertain intent of the card just read, settled from that reading. */
export async function settleCard(ledger: KioskLedgerPort, card_ref: string, reading: CardReading): Promise<Map<string, SettledTx>> {
  const settled = new Map<string, SettledTx>();
  for (const tx of await ledger.openIntentsOf(card_ref)) settled.set(tx.tx_id, await settleFromReading(ledger, tx, reading));
  return settled;
}

/**
 * At boot: intents a crash left open become `uncertain` (kiosk_restarted). They
 * are settled when their card is next read here, or by the back office from the
 * card's next transaction anywhere. Returns how many there were.
 */
export async function markInterruptedIntents(ledger: KioskLedgerPort): Promise<{ ok: true; count: number } | { ok: false; error: LedgerWriteError }> {
  const open = await ledger.openIntents();
  for (const tx of open) {
    const written = await ledger.recordUncertain(tx, 'kiosk_restarted');
    if (!written.ok) return { ok: false, error: written.error };
  }
  return { ok: true, count: open.length };
}
