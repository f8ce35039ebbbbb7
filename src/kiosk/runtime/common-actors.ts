import { fromPromise } from 'xstate';
import { newTxId } from '../../shared/ids';
import type { CardReader } from '../../../hardware/pcsc/types';
import type { ReceiptPrinter } from '../../../hardware/printer/types';
import type {
  AllocateTxIdInput,
  AllocateTxIdResult,
  LedgerWriteResult,
  PrintReceiptResult,
  ReadCardInput,
  ReadCardResult,
  ReceiptInput,
  RecordAbortedInput,
  RecordCommittedInput,
  RecordUncertainInput,
  SettleUncertainInput,
  SettleUncertainResult,
  WriteIntentInput,
} from '../machines/contracts';
import { printReceipt, printResultFor, receiptModelFrom, type KioskReceiptContext } from '../receipt';
import type { ReceiptLanguage } from '../receipt/model';
import type { CardStation } from './card-station';
import type { KioskLedgerPort } from './ledger-port';

// The actors the resident kiosk and the attendant station share: the card
// read and settle, ids, ledger entries and the receipt.

export interface CommonParts {
  station: CardStation;
  ledger: KioskLedgerPort;
  printer: ReceiptPrinter;
  receipt: KioskReceiptContext;
  language: () => ReceiptLanguage;
  now: () => Date;
}

export function commonActors(parts: CommonParts) {
  const { station, ledger } = parts;
  return {
    readCard: fromPromise<ReadCardResult, ReadCardInput>(({ signal }) => station.readCard(signal)),
    settleUncertain: fromPromise<SettleUncertainResult, SettleUncertainInput>(({ input, signal }) => station.settle(input.tx, signal)),
    allocateTxId: fromPromise<AllocateTxIdResult, AllocateTxIdInput>(async () => newTxId()),
    writeIntent: fromPromise<LedgerWriteResult, WriteIntentInput>(({ input }) => ledger.writeIntent(input.tx)),
    recordCommitted: fromPromise<LedgerWriteResult, RecordCommittedInput>(({ input }) => ledger.recordCommitted(input.tx, input.evidence)),
    recordAborted: fromPromise<LedgerWriteResult, RecordAbortedInput>(({ input }) => ledger.recordAborted(input.tx, input.reason)),
    recordUncertain: fromPromise<LedgerWriteResult, RecordUncertainInput>(({ input }) => ledger.recordUncertain(input.tx, input.cause)),
    printReceipt: fromPromise<PrintReceiptResult, ReceiptInput>(({ input }) =>
      printResultFor(printReceipt(parts.printer, receiptModelFrom(input, parts.receipt, { language: parts.language(), occurred_at: parts.now().toISOString() }))),
    ),
  };
}

/** Card arrivals and removals become machine events until the machine stops. */
export function forwardCardEvents(reader: CardReader, actor: { send(e: { type: 'CARD_PRESENTED' } | { type: 'CARD_REMOVED' }): void; subscribe(o: { complete: () => void }): unknown }): void {
  const arrived = () => actor.send({ type: 'CARD_PRESENTED' });
  const removed = () => actor.send({ type: 'CARD_REMOVED' });
  reader.on('card-arrived', arrived);
  reader.on('card-removed', removed);
  actor.subscribe({
    complete: () => {
      reader.off('card-arrived', arrived);
      reader.off('card-removed', removed);
    },
  });
}
