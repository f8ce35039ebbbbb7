import type { PaymentTx } from '../machines/contracts';
import type { CardStation } from './card-station';
import type { KioskLedgerPort } from './ledger-port';

// After a crash or power loss: every intent without a committed or aborted
// entry may or may not have reached its card. Only that card can say, so the
// kiosk waits for it and records what the card's history shows. An intent whose
// card does not come back stays open; the back office settles it from the
// card's next transaction anywhere (DESIGN §3).

export interface RecoveryReport {
  settled_committed: string[];
  settled_aborted: string[];
  still_open: string[];
}

export async function settleOpenIntents(
  ledger: KioskLedgerPort,
  station: CardStation,
  opts: { signalFor?: (tx: PaymentTx) => AbortSignal | undefined } = {},
): Promise<RecoveryReport> {
  const report: RecoveryReport = { settled_committed: [], settled_aborted: [], still_open: [] };
  for (const tx of await ledger.openIntents()) {
    const settled = await station.settle(tx, opts.signalFor?.(tx));
    if (!settled.ok || settled.value.card_ref !== tx.card_ref) {
      report.still_open.push(tx.tx_id);
      continue;
    }
    if (settled.value.outcome === 'committed') {
      const written = await ledger.recordCommitted(tx, settled.value.evidence);
      (written.ok ? report.settled_committed : report.still_open).push(tx.tx_id);
    } else {
      const written = await ledger.recordAborted(tx, 'not_committed_on_card');
      (written.ok ? report.settled_aborted : report.still_open).push(tx.tx_id);
    }
  }
  await station.release();
  return report;
}
