// Canned actor outputs for the kiosk machine tests. Money in minor units,
// cards by opaque ref and masked serial only.
import type {
  CardEvidence,
  CardRead,
  CardWriteResult,
  CheckRiskResult,
  FulfilResult,
  LedgerWriteResult,
  PrinterStatusResult,
  PrintReceiptResult,
  Quote,
  QuoteResult,
  ReadCardResult,
  ReadPresentedCardResult,
  ReadHistoryResult,
  RefundResult,
  SelfTestResult,
  SettleUncertainResult,
} from '../../../../src/kiosk/machines/contracts';
import { err, ok } from '../../../../src/kiosk/machines/contracts';
import type { PaymentProgress, PaymentStage } from '../../../../src/kiosk/machines/resident';

export const CARD: CardRead = {
  card_ref: 'card-ref-A',
  masked_serial: '**** 4821',
  balance_minor: 2_000,
  expires_on: '2030-12-31',
  status: 'active',
  hotlisted: false,
  tmac_counter: 41,
  recent: [{ tx_tag: '00112233445566778899', direction: 'credit', amount_minor: 2_000, balance_after_minor: 2_000 }],
};

export const QUOTE: Quote = { quote_ref: 'q-1', kind: 'library_fine', amount_minor: 750, description_key: 'fixed_fee.library_fine' };
export const BIG_QUOTE: Quote = { ...QUOTE, quote_ref: 'q-big', amount_minor: 5_000 };
/** Not payable yet: the resident chooses among two fines first (all preselected). */
export const CHOOSE_QUOTE: Quote = {
  quote_ref: 'q-choose',
  kind: 'library_fine',
  amount_minor: 750,
  description_key: 'library.fines_choose',
  choose: {
    multiple: true,
    options: [
      { id: 'fee-0', amount_minor: 500, label_key: 'library.fine_item', label_params: { text: 'Overdue fine', amount: 500 }, preselected: true },
      { id: 'fee-1', amount_minor: 250, label_key: 'library.fine_item', label_params: { text: 'Lost card', amount: 250 }, preselected: true },
    ],
  },
  screen_params: { patron_name: 'Sample Patron' },
};
/** A choice of exactly one (a parking duration). */
export const CHOOSE_ONE_QUOTE: Quote = { ...CHOOSE_QUOTE, quote_ref: 'q-choose-one', choose: { multiple: false, options: CHOOSE_QUOTE.choose!.options } };

export const EVIDENCE: CardEvidence = { balance_after_minor: 1_250, tmac_counter: 42, tmac_value: '0011223344556677' };
export const CREDIT_BACK_EVIDENCE: CardEvidence = { balance_after_minor: 2_000, tmac_counter: 43, tmac_value: '8899aabbccddeeff' };

export const TX_ID = 'tx-20250101-0001';

export const out = {
  selfTestOk: ok(null) satisfies SelfTestResult,
  selfTestFailed: err({ failed: ['reader'] }) satisfies SelfTestResult,
  readOk: ok(CARD) satisfies ReadCardResult,
  historyOk: ok([...CARD.recent, { tx_tag: 'aabbccddeeff00112233', direction: 'debit', amount_minor: 350, balance_after_minor: 1_650 }]) satisfies ReadHistoryResult,
  readRemoved: err('card_removed') satisfies ReadCardResult,
  readReaderLost: err('reader_lost') satisfies ReadCardResult,
  readUnreadable: err('unreadable') satisfies ReadCardResult,
  /** A card on the staff roster tapped at a resident kiosk. */
  readStaff: { ok: false, error: 'staff_card', role: 'attendant', masked_serial: '•••• 0417' } satisfies ReadPresentedCardResult,
  riskOk: ok(null) satisfies CheckRiskResult,
  riskHotlisted: err('hotlisted') satisfies CheckRiskResult,
  riskOfflineLimit: err('offline_tx_limit') satisfies CheckRiskResult,
  quoteOk: ok(QUOTE) satisfies QuoteResult,
  quoteTooBig: ok(BIG_QUOTE) satisfies QuoteResult,
  quoteNothingDue: err('nothing_due') satisfies QuoteResult,
  quoteChoose: ok(CHOOSE_QUOTE) satisfies QuoteResult,
  quotePinRequired: err('pin_required') satisfies QuoteResult,
  quotePinWrong: err('pin_wrong') satisfies QuoteResult,
  printerOk: ok(null) satisfies PrinterStatusResult,
  printerNoPaper: err('out_of_paper') satisfies PrinterStatusResult,
  ledgerOk: ok({ status: 'created' }) satisfies LedgerWriteResult,
  ledgerDown: err('ledger_unavailable') satisfies LedgerWriteResult,
  ledgerFault: err('ledger_fault') satisfies LedgerWriteResult,
  debitCommitted: { status: 'committed', evidence: EVIDENCE } satisfies CardWriteResult,
  debitRefused: { status: 'refused', reason: 'insufficient_funds' } satisfies CardWriteResult,
  debitUncertain: { status: 'uncertain', reason: 'card_removed' } satisfies CardWriteResult,
  settleCommitted: ok({ card_ref: CARD.card_ref, outcome: 'committed', balance_after_minor: EVIDENCE.balance_after_minor }) satisfies SettleUncertainResult,
  settleNotCommitted: ok({ card_ref: CARD.card_ref, outcome: 'not_committed' }) satisfies SettleUncertainResult,
  settleUnknown: ok({ card_ref: CARD.card_ref, outcome: 'unknown' }) satisfies SettleUncertainResult,
  settleOtherCard: ok({ card_ref: 'card-ref-B', outcome: 'different_card' }) satisfies SettleUncertainResult,
  settleRemoved: err('card_removed') satisfies SettleUncertainResult,
  fulfilled: { status: 'fulfilled', service_ref: 'svc-1' } satisfies FulfilResult,
  queued: { status: 'queued', service_ref: 'svc-q' } satisfies FulfilResult,
  serviceRefused: { status: 'refused', reason: 'payment_accepted_N' } satisfies FulfilResult,
  creditedBack: ok({ status: 'credited_back', balance_after_minor: CREDIT_BACK_EVIDENCE.balance_after_minor }) satisfies RefundResult,
  refundRecorded: ok({ status: 'refund_recorded', refund_ref: 'rf-1' }) satisfies RefundResult,
  refundFailed: err('ledger_unavailable') satisfies RefundResult,
  printed: ok(null) satisfies PrintReceiptResult,
  noPaper: err('out_of_paper') satisfies PrintReceiptResult,
} as const;

export function progressAt(stage: PaymentStage): PaymentProgress {
  return {
    stage,
    tx: {
      tx_id: TX_ID,
      kind: 'library_fine',
      direction: 'debit',
      card_ref: CARD.card_ref,
      masked_serial: CARD.masked_serial,
      amount_minor: QUOTE.amount_minor,
      balance_before_minor: CARD.balance_minor,
      expected_balance_after_minor: CARD.balance_minor - QUOTE.amount_minor,
      tmac_counter_before: CARD.tmac_counter,
      quote_ref: QUOTE.quote_ref,
      reverses_tx_id: null,
      shift_id: null,
      staff_ref: null,
      authorised_by: null,
    },
    quote: QUOTE,
    evidence: ['card_committed', 'recorded', 'service_refused', 'fulfilled', 'settled'].includes(stage) ? EVIDENCE : null,
    service_ref: stage === 'fulfilled' || stage === 'settled' ? 'svc-1' : null,
    refusal_reason: stage === 'service_refused' ? 'payment_accepted_N' : null,
    abort_reason: stage === 'aborting' ? 'insufficient_funds' : null,
    receipt_outcome: 'paid',
  };
}

export const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output });
export const failure = (id: string) => ({ type: `xstate.error.actor.${id}`, error: new Error(`${id} threw`) });

/** Fast timeouts for tests; the SimulatedClock makes the numbers irrelevant to wall time. */
export const TEST_TIMEOUTS = {
  idle_ms: 30_000,
  warning_ms: 10_000,
  same_card_ms: 120_000,
  done_ms: 8_000,
  debit_watchdog_ms: 15_000,
  record_retry_ms: 2_000,
  self_test_retry_ms: 60_000,
  reader_retry_ms: 10_000,
};
