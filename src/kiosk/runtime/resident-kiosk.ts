import { createActor, fromPromise, type Actor } from 'xstate';
import { assertCryptoSelftest } from '../../card/selftest';
import { derivedTxId } from '../../shared/ids';
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
  type ReadCardInput,
  type ReadPresentedCardResult,
  type StaffRole,
  type LedgerWriteResult,
  type PrinterStatusResult,
  type RecordCommittedInput,
  type TxKind,
  type ReadHistoryResult,
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
import { markInterruptedIntents } from './settlement';
import { ServiceForwarder } from '../services/store-and-forward';
import { KioskLedger } from '../../ledger';
import { startKioskSync, type KioskSyncSettings } from '../../sync/background';

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
  /** How often unanswered service posts are sent again (default one minute). */
  service_retry_ms?: number;
  /** Upload the ledger to the back office in the background (docs/sync-protocol.md); no transaction waits for it. */
  sync?: Omit<KioskSyncSettings, 'ledger'>;
  /** The role of a card on the staff roster (null for anyone else): a staff card opens the maintenance screen. */
  staffRoleOf?: (card_ref: string) => StaffRole | null;
}

export type ResidentKiosk = Actor<typeof residentMachine>;

/**
 * The money side of a service refusal. The amount goes back onto the card still
 * held, as its own transaction reversing the payment (intent first,
 * LimitedCredit, committed entry); if the card certainly refused, a refund
 * entry records what the city owes. The credit back's id follows from the
 * payment's, so a second attempt (a retry, a restart) finds the first one and
 * settles it from the card before anything else; an outcome still unknown pays
 * nothing more (the ledger also refuses a refund while a credit back is open
 * or committed), so the resident is never paid back twice.
 */
function compensateWith(parts: ResidentKioskParts) {
  const { ledger, station } = parts;
  const refund = async (paid: PaymentTx, reason: string): Promise<RefundResult> => {
    const recorded = await ledger.recordRefund(paid, reason);
    return recorded.ok ? ok({ status: 'refund_recorded', refund_ref: `refund:${paid.tx_id}` }) : err(recorded.error);
  };
  return async (input: RefundInput): Promise<RefundResult> => {
    const paid = input.tx;
    const back: PaymentTx = {
      ...paid,
      tx_id: derivedTxId('credit_back', paid.tx_id),
      kind: 'credit_back',
      direction: 'credit',
      balance_before_minor: paid.expected_balance_after_minor,
      expected_balance_after_minor: paid.balance_before_minor,
      tmac_counter_before: paid.tmac_counter_before + 1, // the payment's own commit, in this session
      quote_ref: null,
      reverses_tx_id: paid.tx_id,
    };
    const before = await ledger.txState(back.tx_id);
    if (before !== null) {
      if (before.state === 'committed') return ok({ status: 'credited_back', balance_after_minor: before.balance_after_minor ?? before.expected_balance_after_minor });
      if (before.state === 'aborted') return refund(paid, input.reason);
      // Open or uncertain: only the card can say, and only if it is still here.
      const settled = await station.settleHeld(txOfState(back, before));
      if (settled === null || !settled.ok || settled.value.outcome === 'unknown' || settled.value.outcome === 'different_card') return err('service_unavailable');
      if (settled.value.outcome === 'committed') return ok({ status: 'credited_back', balance_after_minor: settled.value.balance_after_minor });
      return refund(paid, input.reason);
    }
    const intent = await ledger.writeIntent(back);
    if (!intent.ok) return err(intent.error);
    const result = await station.creditBack(back);
    if (result.status === 'committed') {
      await ledger.recordCommitted(back, result.evidence); // if this fails, the card's record settles it on its next read
      return ok({ status: 'credited_back', balance_after_minor: result.evidence.balance_after_minor });
    }
    if (result.status === 'uncertain') {
      await ledger.recordUncertain(back, result.reason);
      return err('service_unavailable');
    }
    const aborted = await ledger.recordAborted(back, result.reason);
    if (!aborted.ok) return err(aborted.error);
    return refund(paid, input.reason);
  };
}

/** The credit back as first written (its intent's counter and balances), to settle it. */
function txOfState(back: PaymentTx, state: { balance_before_minor: number; expected_balance_after_minor: number; amount_minor: number }): PaymentTx {
  return { ...back, balance_before_minor: state.balance_before_minor, expected_balance_after_minor: state.expected_balance_after_minor, amount_minor: state.amount_minor };
}

export function residentActors(parts: ResidentKioskParts, forwarder = new ServiceForwarder(parts.ledger, parts.services)) {
  // Built at every check: `policy` may be a getter (the downlink bundle in force) that changes while the kiosk runs.
  const riskEnv = () => ({ ...parts.risk, time_zone: parts.risk.time_zone ?? parts.receipt.time_zone, ledger: parts.ledger }) satisfies RiskEnvironment;
  return {
    ...commonActors({ ...parts, now: parts.risk.now }),
    ...serviceActors(forwarder.services, compensateWith(parts)),
    // A service payment's committed entry and its post go to the ledger together (one fsync).
    recordCommitted: fromPromise<LedgerWriteResult, RecordCommittedInput>(({ input }) =>
      SERVICE_KINDS.includes(input.tx.kind) ? forwarder.recordCommittedAndPost(input.tx, input.evidence) : parts.ledger.recordCommitted(input.tx, input.evidence),
    ),
    // Boot: the crypto's known answers, then every intent a crash left open is
    // recorded as uncertain (settled when its card is next read; nobody waits).
    selfTest: fromPromise<SelfTestResult, void>(async () => {
      try {
        assertCryptoSelftest();
      } catch {
        return err({ failed: ['card_crypto'] as const });
      }
      const interrupted = await markInterruptedIntents(parts.ledger).catch(() => ({ ok: false as const }));
      if (!interrupted.ok) return err({ failed: ['ledger'] as const });
      // Posts a crash or an outage left unanswered go out again, with their own transaction ids.
      await forwarder.postUnanswered().catch(() => undefined);
      return ok(null);
    }),
    // A staff card is only looked at (never written): let go of it, keep its masked serial and role.
    readCard: fromPromise<ReadPresentedCardResult, ReadCardInput>(async ({ signal }) => {
      const read = await parts.station.readCard(signal);
      const role = read.ok ? (parts.staffRoleOf?.(read.value.card_ref) ?? null) : null;
      if (!read.ok || role === null) return read;
      await parts.station.release();
      return { ok: false, error: 'staff_card', role, masked_serial: read.value.masked_serial };
    }),
    checkRisk: fromPromise<CheckRiskResult, CheckRiskInput>(({ input }) => checkRisk(riskEnv(), input)),
    printerStatus: fromPromise<PrinterStatusResult, void>(async () => printerStatusResult(await parts.printer.status())),
    debitCard: fromPromise<CardWriteResult, CardWriteInput>(({ input }) => parts.station.write(input.tx)),
    readHistory: fromPromise<ReadHistoryResult, void>(() => parts.station.readHistory()),
  };
}

const SERVICE_KINDS: readonly TxKind[] = ['library_fine', 'parking', 'citation'];

/** Starts the resident kiosk and forwards card arrivals and removals to it. */
export function startResidentKiosk(parts: ResidentKioskParts): ResidentKiosk {
  const forwarder = new ServiceForwarder(parts.ledger, parts.services);
  const machine = residentMachine.provide({ actors: residentActors(parts, forwarder) });
  const actor = createActor(machine, { input: parts.input ?? {} });
  forwardCardEvents(parts.reader, actor);
  // The resident screen says so when the reader goes, and boots again when it is back.
  const lost = () => actor.send({ type: 'READER_LOST' });
  const restored = () => actor.send({ type: 'READER_RESTORED' });
  parts.reader.on('reader-detached', lost);
  parts.reader.on('reader-attached', restored);
  // While the kiosk runs, unanswered service posts are sent again now and then (the network came back).
  const retry = setInterval(() => void forwarder.postUnanswered().catch(() => undefined), parts.service_retry_ms ?? 60_000);
  retry.unref();
  if (parts.sync && !(parts.ledger instanceof KioskLedger)) throw new Error('background sync reads the outbox of the station ledger: pass the KioskLedger itself as `ledger`');
  const sync = parts.sync && parts.ledger instanceof KioskLedger ? startKioskSync({ ...parts.sync, ledger: parts.ledger }) : null;
  actor.subscribe({
    complete: () => {
      clearInterval(retry);
      void sync?.stop();
      parts.reader.off('reader-detached', lost);
      parts.reader.off('reader-attached', restored);
    },
  });
  actor.start();
  return actor;
}
