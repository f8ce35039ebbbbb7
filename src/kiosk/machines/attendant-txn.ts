// Attendant machine, the card value change (top-up credit or void debit),
// with the same discipline as a resident payment (DESIGN §3): intent durable
// before the card, committed entry after, and an unknown card outcome is
// uncertain until the same card settles it. No cancel or sign-out in here.
import { attendantSetup, attendantReceipt, txn, type AttendantContext } from './attendant-setup';
import { never } from './invariant';
import { notice } from './messages';
import { timed } from './timed';

const MENU = '#attendant.signedIn.menu';
const TXN = '#attendant.signedIn.cardTxn';

const txNotice = (key: Parameters<typeof notice>[0]) => ({
  type: 'showNotice',
  params: ({ context }: { context: AttendantContext }) => notice(key, txn(context).tx.tx_id),
}) as const;

const ledgerDown = {
  target: 'aborting',
  actions: { type: 'abortBecause', params: { reason: 'ledger_unavailable' } },
} as const;

/** The card write: credit (top-up, credit key) or debit (void, debit key). */
function cardWrite(src: 'creditCard' | 'debitCard') {
  return attendantSetup.createStateConfig({
    tags: ['card_write_in_flight'],
    invoke: {
      id: src,
      src,
      input: ({ context }) => ({ tx: txn(context).tx }),
      onDone: [
        {
          guard: { type: 'cardCommitted', params: ({ event }) => event.output },
          target: 'recordingCommitted',
          actions: {
            type: 'storeEvidence',
            params: ({ event }) => (event.output.status === 'committed' ? event.output.evidence : never()),
          },
        },
        {
          guard: { type: 'cardRefused', params: ({ event }) => event.output },
          target: 'aborting',
          actions: {
            type: 'abortBecause',
            params: ({ event }) => ({ reason: event.output.status === 'refused' ? event.output.reason : never() }),
          },
        },
        {
          target: 'uncertain',
          actions: {
            type: 'noteUncertainty',
            params: ({ event }) => ({ cause: event.output.status === 'uncertain' ? event.output.reason : 'transport' }),
          },
        },
      ],
      onError: { target: 'uncertain', actions: { type: 'noteUncertainty', params: { cause: 'transport' } } },
    },
    after: { cardWatchdog: { target: 'uncertain', actions: { type: 'noteUncertainty', params: { cause: 'timeout' } } } },
  });
}

const tryAgain = { target: 'waitingForSameCard', actions: txNotice('payment.uncertain.try_again') } as const;

export const cardTxnState = attendantSetup.createStateConfig({
  tags: ['money_path'],
  initial: 'allocating',
  on: { CARD_REMOVED: { actions: 'cardRemoved' } },
  states: {
    allocating: {
      invoke: {
        id: 'allocateTxId',
        src: 'allocateTxId',
        input: ({ context }) => ({ kind: context.op ?? never() }),
        onDone: { target: 'writingIntent', actions: { type: 'beginTxn', params: ({ event }) => ({ tx_id: event.output }) } },
        onError: { target: MENU, actions: { type: 'showNotice', params: notice('kiosk.ledger_unavailable') } },
      },
    },
    writingIntent: {
      invoke: {
        id: 'writeIntent',
        src: 'writeIntent',
        input: ({ context }) => ({ tx: txn(context).tx }),
        onDone: [
          {
            guard: 'cardRemovedDuringIntent',
            target: 'aborting',
            actions: { type: 'abortBecause', params: { reason: 'card_removed_before_debit' } },
          },
          {
            guard: { type: 'failed', params: ({ event }) => event.output },
            ...ledgerDown,
          },
          {
            guard: 'opCredits',
            target: 'crediting',
            actions: { type: 'txnStage', params: { stage: 'card_in_flight' } },
          },
          // The top-up counts as being voided from the moment the void's intent is durable:
          // whatever happens next, it is never offered for a second void.
          { target: 'debiting', actions: [{ type: 'txnStage', params: { stage: 'card_in_flight' } }, 'closeVoidWindow'] },
        ],
        onError: ledgerDown,
      },
    },
    crediting: cardWrite('creditCard'),
    debiting: cardWrite('debitCard'),
    recordingCommitted: {
      invoke: {
        id: 'recordCommitted',
        src: 'recordCommitted',
        input: ({ context }) => ({ tx: txn(context).tx, evidence: txn(context).evidence ?? never() }),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'printing', actions: 'noteCommitted' },
          { target: 'recordFailed', actions: txNotice('kiosk.ledger_unavailable') },
        ],
        onError: { target: 'recordFailed', actions: txNotice('kiosk.ledger_unavailable') },
      },
    },
    // The card changed but the committed entry is not durable: staff see the
    // tx id, and the station retries until it is written before anything else.
    recordFailed: { ...timed(`${TXN}.recordingCommitted`), on: { ACK: 'recordingCommitted' } },
    printing: {
      invoke: {
        id: 'printReceipt',
        src: 'printReceipt',
        input: ({ context }) => attendantReceipt(context),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'done' },
          { target: 'noReceipt', actions: txNotice('receipt.unavailable') },
        ],
        onError: { target: 'noReceipt', actions: txNotice('receipt.unavailable') },
      },
    },
    noReceipt: { ...timed(`${TXN}.done`), on: { ACK: 'done' } },
    done: {
      entry: { type: 'txnStage', params: { stage: 'settled' } },
      after: { done: MENU },
      on: { ACK: MENU },
    },
    aborting: {
      invoke: {
        id: 'recordAborted',
        src: 'recordAborted',
        input: ({ context }) => ({ tx: txn(context).tx, reason: txn(context).abort_reason ?? 'not_committed_on_card' }),
        onDone: { target: 'aborted' },
        onError: { target: 'aborted' },
      },
    },
    aborted: {
      ...timed(MENU),
      entry: [{ type: 'txnStage', params: { stage: 'settled' } }, txNotice('payment.not_taken')],
      on: { ACK: MENU },
    },
    uncertain: {
      initial: 'recording',
      entry: txNotice('payment.uncertain.present_same_card'),
      states: {
        recording: {
          invoke: {
            id: 'recordUncertain',
            src: 'recordUncertain',
            input: ({ context }) => ({ tx: txn(context).tx, cause: txn(context).uncertain_cause ?? 'transport' }),
            onDone: 'waitingForSameCard',
            onError: 'waitingForSameCard',
          },
        },
        waitingForSameCard: {
          ...timed(`${TXN}.uncertain.unresolved`, 'sameCard'),
          on: { CARD_PRESENTED: 'settling', ACK: 'unresolved' },
        },
        settling: {
          invoke: {
            id: 'settleUncertain',
            src: 'settleUncertain',
            input: ({ context }) => ({ tx: txn(context).tx }),
            onDone: [
              { guard: { type: 'failed', params: ({ event }) => event.output }, ...tryAgain },
              {
                guard: { type: 'differentCard', params: ({ event }) => event.output },
                target: 'waitingForSameCard',
                actions: txNotice('payment.uncertain.different_card'),
              },
              // The settlement is already in the ledger (a `settled` entry): no further entry here.
              {
                guard: { type: 'settledCommitted', params: ({ event }) => event.output },
                target: `${TXN}.printing`,
                actions: [
                  {
                    type: 'storeSettledCommit',
                    params: ({ event }) => ({
                      balance_after_minor: event.output.ok && event.output.value.outcome === 'committed' ? event.output.value.balance_after_minor : never(),
                    }),
                  },
                  'noteCommitted',
                ],
              },
              {
                guard: { type: 'settledNotCommitted', params: ({ event }) => event.output },
                target: `${TXN}.aborted`,
                actions: { type: 'abortBecause', params: { reason: 'not_committed_on_card' } },
              },
              { target: 'unresolved', actions: { type: 'clearNotice' } },
            ],
            onError: tryAgain,
          },
        },
        unresolved: {
          ...timed(MENU),
          entry: txNotice('payment.uncertain.unresolved'),
          on: { ACK: MENU },
        },
      },
    },
  },
});
