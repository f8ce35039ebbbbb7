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

type LedgerOutput = { output: { ok: boolean; error?: 'ledger_unavailable' | 'ledger_fault' } };
const ledgerError = ({ event }: { event: LedgerOutput }) => ({ error: event.output.ok ? null : (event.output.error ?? null) });

const ledgerDown = {
  target: 'aborting',
  actions: [{ type: 'abortBecause', params: { reason: 'ledger_unavailable' } }, { type: 'setLedgerFault', params: ledgerError }],
} as const;
const ledgerThrew = {
  target: 'aborting',
  actions: [{ type: 'abortBecause', params: { reason: 'ledger_unavailable' } }, { type: 'setLedgerFault', params: { error: null } }],
} as const;

// The card committed but its entry is not durable: never labelled recorded.
// The resident is served; the commit is kept as unrecorded and retried before
// anyone else (the kiosk goes out of service until it is written).
const recordFailed = [
  { guard: 'mayRetryRecord', target: 'recordRetry', actions: 'countRecordAttempt' },
  { target: 'fulfilling', actions: ['keepUnrecorded', { type: 'setLedgerFault', params: ledgerError }] },
] as const;
const recordThrew = [
  { guard: 'mayRetryRecord', target: 'recordRetry', actions: 'countRecordAttempt' },
  { target: 'fulfilling', actions: ['keepUnrecorded', { type: 'setLedgerFault', params: { error: null } }] },
] as const;

const becameUncertain = (cause: 'card_removed' | 'reader_lost' | 'timeout' | 'transport') =>
  ({ target: 'uncertain', actions: { type: 'noteUncertainty', params: { cause } } }) as const;

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
        onError: ledgerThrew,
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
          {
            target: 'uncertain',
            actions: {
              type: 'noteUncertainty',
              params: ({ event }) => ({ cause: event.output.status === 'uncertain' ? event.output.reason : 'transport' }),
            },
          },
        ],
        onError: becameUncertain('transport'),
      },
      after: { debitWatchdog: becameUncertain('timeout') },
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
        onError: [...recordThrew],
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
    // Money is final here; the screen still warns before it goes and a touch
    // gives more time (WCAG 2.2.1), like every other screen that times out.
    done: {
      ...timed('#resident.payment.leaving', 'done'),
      entry: { type: 'stage', params: { stage: 'settled' } },
      on: { FINISH: 'leaving' },
    },
    aborting: {
      invoke: {
        id: 'recordAborted',
        src: 'recordAborted',
        input: ({ context }) => ({ tx: progress(context).tx, reason: progress(context).abort_reason ?? 'not_committed_on_card' }),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'aborted' },
          { target: 'aborted', actions: { type: 'setLedgerFault', params: ledgerError } },
        ],
        onError: { target: 'aborted', actions: { type: 'setLedgerFault', params: { error: null } } },
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
      initial: 'recording',
      entry: {
        type: 'showNotice',
        params: ({ context }) => ({ key: 'payment.uncertain.present_same_card', tx_id: progress(context).tx.tx_id }),
      },
      states: {
        // The ledger says so before anything else: a crash now leaves it uncertain, not open.
        recording: {
          invoke: {
            id: 'recordUncertain',
            src: 'recordUncertain',
            input: ({ context }) => ({ tx: progress(context).tx, cause: progress(context).uncertain_cause ?? 'transport' }),
            onDone: [
              { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'waitingForSameCard' },
              { target: 'waitingForSameCard', actions: { type: 'setLedgerFault', params: ledgerError } },
            ],
            onError: { target: 'waitingForSameCard', actions: { type: 'setLedgerFault', params: { error: null } } },
          },
        },
        // The resident may also say they cannot tap again (ACK): the tx id is shown for staff.
        waitingForSameCard: {
          ...timed('#resident.payment.uncertain.unresolved', 'sameCard'),
          on: { CARD_PRESENTED: 'settling', ACK: 'unresolved' },
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
              // The settlement is already in the ledger (a `settled` entry): no further entry here.
              {
                guard: { type: 'settledCommitted', params: ({ event }) => event.output },
                target: '#resident.payment.fulfilling',
                actions: {
                  type: 'storeSettledCommit',
                  params: ({ event }) => ({
                    balance_after_minor: event.output.ok && event.output.value.outcome === 'committed' ? event.output.value.balance_after_minor : never(),
                  }),
                },
              },
              {
                guard: { type: 'settledNotCommitted', params: ({ event }) => event.output },
                target: '#resident.payment.aborted',
                actions: { type: 'abortBecause', params: { reason: 'not_committed_on_card' } },
              },
              // The card moved on (used elsewhere, its record rotated out): the back office settles it.
              { target: 'unresolved', actions: { type: 'clearNotice' } },
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
        {
          guard: { type: 'paymentAt', params: { stages: ['intent_pending', 'debit_in_flight'] } },
          target: 'uncertain',
          actions: { type: 'noteUncertainty', params: { cause: 'kiosk_restarted' } },
        },
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
