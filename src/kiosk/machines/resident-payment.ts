// Resident machine, the money path (DESIGN §3): intent (durable) → debit →
// committed entry → fulfil → receipt. From the debit on nothing is guessed:
// an unknown card outcome is `uncertain` and only the same card settles it.
// Cancel and reader-lost are not listened to here; the actors report what the
// card did, and every step has a way out.
import { notice } from './messages';
import { residentSetup, progress, receiptFor, type ResidentContext } from './resident-setup';
import { never } from './invariant';
import { timed } from './timed';

const removedBeforeDebit = {
  target: 'aborting',
  actions: { type: 'abortBecause', params: { reason: 'card_removed_before_debit' } },
} as const;

const ledgerDown = {
  target: 'aborting',
  actions: [
    { type: 'abortBecause', params: { reason: 'ledger_unavailable' } },
    { type: 'setFault', params: { key: 'kiosk.ledger_unavailable' } },
  ],
} as const;

const recordFailed = [
  { guard: 'mayRetryRecord', target: 'recordRetry', actions: 'countRecordAttempt' },
  {
    target: 'fulfilling',
    actions: [
      { type: 'setFault', params: { key: 'kiosk.ledger_unavailable' } },
      { type: 'stage', params: { stage: 'recorded' } },
    ],
  },
] as const;

const refundFailed = {
  target: 'serviceRefusedNotice',
  actions: [
    'markRefundFailed',
    {
      type: 'showNotice',
      params: ({ context }: { context: ResidentContext }) => notice('service.refused.contact_staff', progress(context).tx.tx_id),
    },
  ],
} as const;

const tryAgain = {
  target: 'waitingForSameCard',
  actions: {
    type: 'showNotice',
    params: ({ context }: { context: ResidentContext }) => notice('payment.uncertain.try_again', progress(context).tx.tx_id),
  },
} as const;

export const paymentState = residentSetup.createStateConfig({
  tags: ['money_path'],
  initial: 'allocating',
  on: { CARD_REMOVED: { actions: 'cardRemoved' } },
  states: {
    allocating: {
      invoke: {
        id: 'allocateTxId',
        src: 'allocateTxId',
        input: ({ context }) => ({ kind: context.quote?.kind ?? never() }),
        onDone: { target: 'writingIntent', actions: { type: 'beginPayment', params: ({ event }) => ({ tx_id: event.output }) } },
        onError: {
          target: '#resident.outOfService',
          actions: { type: 'showNotice', params: { key: 'kiosk.out_of_service', tx_id: null } },
        },
      },
    },
    // DESIGN §3 step 3: the intent is durable before the card is touched.
    writingIntent: {
      invoke: {
        id: 'writeIntent',
        src: 'writeIntent',
        input: ({ context }) => ({ tx: progress(context).tx }),
        onDone: [
          { guard: 'cardRemovedDuringIntent', ...removedBeforeDebit },
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'debiting',
            actions: { type: 'stage', params: { stage: 'debit_in_flight' } },
          },
          ledgerDown,
        ],
        onError: ledgerDown,
      },
    },
    debiting: {
      tags: ['card_write_in_flight'],
      invoke: {
        id: 'debitCard',
        src: 'debitCard',
        input: ({ context }) => ({ tx: progress(context).tx }),
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
          { target: 'uncertain' },
        ],
        onError: 'uncertain',
      },
      after: { debitWatchdog: 'uncertain' },
    },
    recordingCommitted: {
      invoke: {
        id: 'recordCommitted',
        src: 'recordCommitted',
        input: ({ context }) => ({ tx: progress(context).tx, evidence: progress(context).evidence ?? never() }),
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'fulfilling',
            actions: { type: 'stage', params: { stage: 'recorded' } },
          },
          ...recordFailed,
        ],
        onError: [...recordFailed],
      },
    },
    recordRetry: { after: { recordRetry: 'recordingCommitted' } },
    fulfilling: {
      invoke: {
        id: 'fulfil',
        src: 'fulfil',
        input: ({ context }) => ({ tx: progress(context).tx, quote: progress(context).quote }),
        onDone: [
          {
            guard: { type: 'serviceRefused', params: ({ event }) => event.output },
            target: 'creditingBack',
            actions: {
              type: 'storeServiceRefusal',
              params: ({ event }) => ({ reason: event.output.status === 'refused' ? event.output.reason : never() }),
            },
          },
          {
            target: 'printing',
            actions: {
              type: 'storeFulfilment',
              params: ({ event }) => ({ service_ref: event.output.status === 'refused' ? never() : event.output.service_ref }),
            },
          },
        ],
        onError: { target: 'creditingBack', actions: { type: 'storeServiceRefusal', params: { reason: 'service_error' } } },
      },
    },
    // DESIGN §3: a service that refuses money already taken is answered by a
    // credit back or a refund entry, never by silence.
    creditingBack: {
      invoke: {
        id: 'refundOrCreditBack',
        src: 'refundOrCreditBack',
        input: ({ context }) => ({ tx: progress(context).tx, reason: progress(context).refusal_reason ?? 'service_refused' }),
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'serviceRefusedNotice',
            actions: [
              { type: 'storeRefund', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
              {
                type: 'showNotice',
                params: ({ context, event }) => ({
                  key:
                    event.output.ok && event.output.value.status === 'credited_back'
                      ? 'service.refused.credited_back'
                      : 'service.refused.refund_recorded',
                  tx_id: progress(context).tx.tx_id,
                }),
              },
            ],
          },
          refundFailed,
        ],
        onError: refundFailed,
      },
    },
    serviceRefusedNotice: { ...timed('#resident.payment.printing'), on: { ACK: 'printing' } },
    printing: {
      invoke: {
        id: 'printReceipt',
        src: 'printReceipt',
        input: ({ context }) => receiptFor(progress(context)),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'done' },
          {
            target: 'noReceipt',
            actions: { type: 'showNotice', params: ({ context }) => ({ key: 'receipt.unavailable', tx_id: progress(context).tx.tx_id }) },
          },
        ],
        onError: {
          target: 'noReceipt',
          actions: { type: 'showNotice', params: ({ context }) => ({ key: 'receipt.unavailable', tx_id: progress(context).tx.tx_id }) },
        },
      },
    },
    // The payment is complete; the screen says no receipt could be printed,
    // shows the tx id and where to get a receipt.
    noReceipt: { ...timed('#resident.payment.done'), on: { ACK: 'done' } },
    done: {
      entry: { type: 'stage', params: { stage: 'settled' } },
      after: { done: 'leaving' },
      on: { FINISH: 'leaving' },
    },
    aborting: {
      invoke: {
        id: 'recordAborted',
        src: 'recordAborted',
        input: ({ context }) => ({ tx: progress(context).tx, reason: progress(context).abort_reason ?? 'not_committed_on_card' }),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'aborted' },
          { target: 'aborted', actions: { type: 'setFault', params: { key: 'kiosk.ledger_unavailable' } } },
        ],
        onError: { target: 'aborted', actions: { type: 'setFault', params: { key: 'kiosk.ledger_unavailable' } } },
      },
    },
    aborted: {
      ...timed('#resident.payment.leaving'),
      entry: [
        { type: 'stage', params: { stage: 'aborted' } },
        {
          type: 'showNotice',
          params: ({ context }) => ({
            key: progress(context).abort_reason === 'insufficient_funds' ? 'payment.insufficient_funds' : 'payment.not_taken',
            tx_id: progress(context).tx.tx_id,
          }),
        },
      ],
      on: { ACK: 'leaving' },
    },
    uncertain: {
      initial: 'waitingForSameCard',
      entry: {
        type: 'showNotice',
        params: ({ context }) => ({ key: 'payment.uncertain.present_same_card', tx_id: progress(context).tx.tx_id }),
      },
      states: {
        waitingForSameCard: {
          ...timed('#resident.payment.uncertain.unresolved', 'sameCard'),
          on: { CARD_PRESENTED: 'settling' },
        },
        settling: {
          invoke: {
            id: 'settleUncertain',
            src: 'settleUncertain',
            input: ({ context }) => ({ tx: progress(context).tx }),
            onDone: [
              { guard: { type: 'failed', params: ({ event }) => event.output }, ...tryAgain },
              {
                guard: { type: 'differentCard', params: ({ event }) => event.output },
                target: 'waitingForSameCard',
                actions: {
                  type: 'showNotice',
                  params: ({ context }) => ({ key: 'payment.uncertain.different_card', tx_id: progress(context).tx.tx_id }),
                },
              },
              {
                guard: { type: 'settledCommitted', params: ({ event }) => event.output },
                target: '#resident.payment.recordingCommitted',
                actions: {
                  type: 'storeEvidence',
                  params: ({ event }) =>
                    event.output.ok && event.output.value.outcome === 'committed' ? event.output.value.evidence : never(),
                },
              },
              {
                target: '#resident.payment.aborting',
                actions: { type: 'abortBecause', params: { reason: 'not_committed_on_card' } },
              },
            ],
            onError: tryAgain,
          },
        },
        // The resident did not come back: the intent stays open in the ledger
        // and the back office settles it from the card's next transaction.
        unresolved: {
          ...timed('#resident.payment.leaving'),
          entry: {
            type: 'showNotice',
            params: ({ context }) => ({ key: 'payment.uncertain.unresolved', tx_id: progress(context).tx.tx_id }),
          },
          on: { ACK: '#resident.payment.leaving' },
        },
      },
    },
    /** Entry point after a restart: the card settles anything that may have reached it. */
    resume: {
      always: [
        { guard: { type: 'paymentAt', params: { stages: ['intent_pending', 'debit_in_flight'] } }, target: 'uncertain' },
        { guard: { type: 'paymentAt', params: { stages: ['card_committed'] } }, target: 'recordingCommitted' },
        { guard: { type: 'paymentAt', params: { stages: ['recorded'] } }, target: 'fulfilling' },
        { guard: { type: 'paymentAt', params: { stages: ['service_refused'] } }, target: 'creditingBack' },
        { guard: { type: 'paymentAt', params: { stages: ['fulfilled'] } }, target: 'printing' },
        { guard: { type: 'paymentAt', params: { stages: ['aborting'] } }, target: 'aborting' },
        { target: 'leaving' },
      ],
    },
    leaving: {
      always: [
        {
          guard: 'hasFault',
          target: '#resident.outOfService',
          actions: { type: 'showNotice', params: ({ context }) => notice(context.fault ?? 'kiosk.out_of_service') },
        },
        { target: '#resident.idle' },
      ],
    },
  },
});
