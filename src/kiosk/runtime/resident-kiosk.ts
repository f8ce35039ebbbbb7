import { createActor, fromPromise, type Actor } from 'xstate';
import { assertCryptoSelftest } from '../../card/selftest';
import { newTxId } from '../../shared/ids';
import type { ReceiptPrinter } from '../../../hardware/printer/types';
import type { CardReader } from '../../../hardware/pcsc/types';
import {
  err,
  ok,
  type CardWriteInput,
  type CardWriteResult,
  type CheckRiskInput,
  type CheckRiskResult,
  type PaymentTx,
  type PrinterStatusResult,
  type RefundInput,
  type RefundResult,
  type SelfTestResult,
} from '../machines/contracts';
import { residentMachine, type ResidentInput } from '../machines/resident';
import { printerStatusResult, type KioskReceiptContext } from '../receipt';
import type { ReceiptLanguage } from '../receipt/model';
import { serviceActors } from '../services/actors';
import type { KioskService } from '../services/types';
import type { CardStation } from './card-station';
import { commonActors, forwardCardEvents } from './common-actors';
import type { KioskLedgerPort } from './ledger-port';
import { checkRisk, type RiskEnvironment } from './risk';

// The resident kiosk: the resident machine with every actor supplied by real
// parts — card station (reader + purse), ledger, services, printer — and the
// reader's card events turned into machine events.

export interface ResidentKioskParts {
  reader: CardReader;
  station: CardStation;
  ledger: KioskLedgerPort;
  printer: ReceiptPrinter;
  services: readonly KioskService[];
  risk: Omit<RiskEnvironment, 'ledger'>;
  receipt: KioskReceiptContext;
  language: () => ReceiptLanguage;
  input?: ResidentInput;
}

export type ResidentKiosk = Actor<typeof residentMachine>;

/**
 * The money side of a service refusal. The amount goes back onto the card still
 * held, as its own transaction (intent first, LimitedCredit, committed entry)
 * reversing the payment; if the card refuses, a refund entry records what the
 * city owes. An unknown outcome records nothing more: the open intent is
 * settled from the card later, so the resident is never paid back twice.
 */
function compensateWith(parts: ResidentKioskParts) {
  return async (input: RefundInput): Promise<RefundResult> => {
    const paid = input.tx;
    const back: PaymentTx = {
      ...paid,
      tx_id: newTxId(),
      kind: 'credit_back',
      direction: 'credit',
      balance_before_minor: paid.expected_balance_after_minor,
      expected_balance_after_minor: paid.balance_before_minor,
      tmac_counter_before: paid.tmac_counter_before + 1,
      quote_ref: null,
      reverses_tx_id: paid.tx_id,
    };
    const intent = await parts.ledger.writeIntent(back);
    if (!intent.ok) return err('ledger_unavailable');
    const result = await parts.station.creditBack(back);
    if (result.status === 'committed') {
      await parts.ledger.recordCommitted(back, result.evidence); // if this fails, recovery finds the record on the card
      return ok({ status: 'credited_back', evidence: result.evidence });
    }
    if (result.status === 'uncertain') return err('service_unavailable');
    await parts.ledger.recordAborted(back, result.reason);
    const recorded = await parts.ledger.recordRefund(paid, input.reason);
    return recorded.ok ? ok({ status: 'refund_recorded', refund_ref: `refund:${paid.tx_id}` }) : err('ledger_unavailable');
  };
}

export function residentActors(parts: ResidentKioskParts) {
  const riskEnv: RiskEnvironment = { ...parts.risk, ledger: parts.ledger };
  return {
    ...commonActors({ ...parts, now: parts.risk.now }),
    ...serviceActors(parts.services, compensateWith(parts)),
    selfTest: fromPromise<SelfTestResult, void>(async () => {
      try {
        assertCryptoSelftest();
        return ok(null);
      } catch {
        return err({ failed: ['card_crypto'] as const });
      }
    }),
    checkRisk: fromPromise<CheckRiskResult, CheckRiskInput>(({ input }) => checkRisk(riskEnv, input)),
    printerStatus: fromPromise<PrinterStatusResult, void>(async () => printerStatusResult(await parts.printer.status())),
    debitCard: fromPromise<CardWriteResult, CardWriteInput>(({ input }) => parts.station.write(input.tx)),
  };
}

/** Starts the resident kiosk and forwards card arrivals and removals to it. */
export function startResidentKiosk(parts: ResidentKioskParts): ResidentKiosk {
  const machine = residentMachine.provide({ actors: residentActors(parts) });
  const actor = createActor(machine, { input: parts.input ?? {} });
  forwardCardEvents(parts.reader, actor);
  // The resident screen says so when the reader goes, and boots again when it is back.
  const lost = () => actor.send({ type: 'READER_LOST' });
  const restored = () => actor.send({ type: 'READER_RESTORED' });
  parts.reader.on('reader-detached', lost);
  parts.reader.on('reader-attached', restored);
  actor.subscribe({
    complete: () => {
      parts.reader.off('reader-detached', lost);
      parts.reader.off('reader-attached', restored);
    },
  });
  actor.start();
  return actor;
}
