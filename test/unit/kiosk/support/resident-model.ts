// The resident machine's model: the concrete events (every outcome of every
// actor) and the context its guards read. Shared by the model-based tests.
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { residentMachine, type ResidentContext, type ResidentInput } from '../../../../src/kiosk/machines/resident';
import { Driver, type Responder } from './driver';
import { TEST_TIMEOUTS, TX_ID, done, failure, out } from './fixtures';

export const RESIDENT_ACTORS = [
  'selfTest',
  'readCard',
  'readHistory',
  'checkRisk',
  'quote',
  'printerStatus',
  'allocateTxId',
  'writeIntent',
  'debitCard',
  'recordCommitted',
  'recordAborted',
  'recordUncertain',
  'settleUncertain',
  'fulfil',
  'refundOrCreditBack',
  'printReceipt',
] as const;

const userEvents: EventObject[] = [
  'TOUCH',
  'CANCEL',
  'BACK',
  'CONTINUE',
  'SHOW_HISTORY',
  'CONFIRM',
  'ACK',
  'FINISH',
  'CARD_PRESENTED',
  'CARD_REMOVED',
  'READER_LOST',
  'READER_RESTORED',
  'MAINTENANCE_RETRY',
  'EXIT_MAINTENANCE',
].map((type) => ({ type }));

const actorOutcomes: EventObject[] = [
  done('selfTest', out.selfTestOk),
  done('selfTest', out.selfTestFailed),
  failure('selfTest'),
  done('readCard', out.readOk),
  done('readCard', out.readRemoved),
  done('readCard', out.readReaderLost),
  done('readCard', out.readUnreadable),
  done('readCard', out.readStaff),
  failure('readCard'),
  done('readHistory', out.historyOk),
  done('readHistory', out.readRemoved),
  failure('readHistory'),
  done('checkCard', out.riskOk),
  done('checkCard', out.riskHotlisted),
  failure('checkCard'),
  done('quote', out.quoteOk),
  done('quote', out.quoteTooBig),
  done('quote', out.quoteNothingDue),
  done('quote', out.quoteChoose),
  done('quote', out.quotePinRequired),
  done('quote', out.quotePinWrong),
  failure('quote'),
  done('printerStatus', out.printerOk),
  done('printerStatus', out.printerNoPaper),
  failure('printerStatus'),
  done('checkRisk', out.riskOk),
  done('checkRisk', out.riskOfflineLimit),
  failure('checkRisk'),
  done('allocateTxId', 'tx-1'),
  failure('allocateTxId'),
  done('writeIntent', out.ledgerOk),
  done('writeIntent', out.ledgerDown),
  done('writeIntent', out.ledgerFault),
  failure('writeIntent'),
  done('debitCard', out.debitCommitted),
  done('debitCard', out.debitRefused),
  done('debitCard', out.debitUncertain),
  failure('debitCard'),
  done('recordCommitted', out.ledgerOk),
  done('recordCommitted', out.ledgerDown),
  done('recordCommitted', out.ledgerFault),
  failure('recordCommitted'),
  done('recordUnrecorded', out.ledgerOk),
  done('recordUnrecorded', out.ledgerFault),
  failure('recordUnrecorded'),
  done('recordUncertain', out.ledgerOk),
  done('recordUncertain', out.ledgerDown),
  failure('recordUncertain'),
  done('recordAborted', out.ledgerOk),
  done('recordAborted', out.ledgerDown),
  failure('recordAborted'),
  done('settleUncertain', out.settleCommitted),
  done('settleUncertain', out.settleNotCommitted),
  done('settleUncertain', out.settleOtherCard),
  done('settleUncertain', out.settleUnknown),
  done('settleUncertain', out.settleRemoved),
  failure('settleUncertain'),
  done('fulfil', out.fulfilled),
  done('fulfil', out.serviceRefused),
  failure('fulfil'),
  done('refundOrCreditBack', out.creditedBack),
  done('refundOrCreditBack', out.refundRecorded),
  done('refundOrCreditBack', out.refundFailed),
  failure('refundOrCreditBack'),
  done('printReceipt', out.printed),
  done('printReceipt', out.noPaper),
  failure('printReceipt'),
];

/** The patron PIN the model types: it must never be found in the machine's context. */
export const MODEL_PIN = '8642';

export function pinNeverKept(s: AnyMachineSnapshot): void {
  if (JSON.stringify(s.context).includes(MODEL_PIN)) throw new Error('the patron PIN was kept in the machine context');
}

export const RESIDENT_EVENTS: EventObject[] = [
  ...userEvents,
  { type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'fine-77' } as EventObject,
  { type: 'SUBMIT_PIN', pin: MODEL_PIN } as EventObject,
  { type: 'CHOOSE', option_ids: ['fee-0', 'fee-1'] } as EventObject,
  { type: 'CHOOSE', option_ids: ['fee-9'] } as EventObject,
  ...actorOutcomes,
];

/** The context the guards read (everything else is display data). */
export function residentKey(s: AnyMachineSnapshot): unknown {
  const c = s.context as ResidentContext;
  return {
    fault: c.fault !== null,
    present: c.card_present,
    attempts: c.record_attempts,
    short: c.quote !== null && c.card !== null && c.quote.amount_minor > c.card.balance_minor,
    recovery: c.recovery !== null,
    unrecorded: c.unrecorded !== null,
  };
}


/** Every actor answering the happy path at once; override one to change the story. */
export const HAPPY: Readonly<Record<(typeof RESIDENT_ACTORS)[number], Responder>> = {
  selfTest: () => out.selfTestOk,
  readCard: () => out.readOk,
  readHistory: () => out.historyOk,
  checkRisk: () => out.riskOk,
  quote: () => out.quoteOk,
  printerStatus: () => out.printerOk,
  allocateTxId: () => TX_ID,
  writeIntent: () => out.ledgerOk,
  debitCard: () => out.debitCommitted,
  recordCommitted: () => out.ledgerOk,
  recordAborted: () => out.ledgerOk,
  recordUncertain: () => out.ledgerOk,
  settleUncertain: () => out.settleCommitted,
  fulfil: () => out.fulfilled,
  refundOrCreditBack: () => out.creditedBack,
  printReceipt: () => out.printed,
};

/** A running resident machine with fake actors; `pending` lists actors that wait to be answered by hand. */
export function residentDriver(
  overrides: Partial<Record<(typeof RESIDENT_ACTORS)[number], Responder>> = {},
  input: ResidentInput = { timeouts: TEST_TIMEOUTS },
): Driver<typeof residentMachine> {
  return new Driver(residentMachine, { actorNames: RESIDENT_ACTORS, input, responders: { ...HAPPY, ...overrides } });
}

/** Attract → card → balance → library fine chosen → quote shown, waiting for CONFIRM. */
export async function toConfirming(d: Driver<typeof residentMachine>): Promise<void> {
  await d.settle();
  await d.act({ type: 'CARD_PRESENTED' });
  await d.act({ type: 'CONTINUE' });
  await d.act({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'fine-77' });
}

/** Never answers: the call stays pending until the test resolves it. */
export const WAIT: Responder = () => undefined;
