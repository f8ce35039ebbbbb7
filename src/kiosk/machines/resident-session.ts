// Resident machine, before any money moves: boot and self-test, attract
// screen, card read and checks, balance, service choice, quote and confirm.
// Removing the card here is harmless: back to waiting for a card.
import type { ReadCardError, RiskRefusal, QuoteRefusal } from './contracts';
import type { MessageKey } from './messages';
import { never } from './invariant';
import { residentSetup } from './resident-setup';
import { timed } from './timed';

const READ_ERROR_KEY: Record<ReadCardError | 'staff_card', MessageKey> = {
  card_removed: 'card.removed',
  staff_card: 'card.not_a_civicard', // never shown: a staff card opens the maintenance screen

  unreadable: 'card.unreadable',
  not_a_civicard: 'card.not_a_civicard',
  reader_lost: 'reader.lost',
};
const RISK_KEY: Record<RiskRefusal, MessageKey> = {
  hotlisted: 'risk.hotlisted',
  blocked: 'risk.blocked',
  expired: 'risk.expired',
  hotlist_stale: 'risk.hotlist_stale',
  offline_tx_limit: 'risk.offline_tx_limit',
  unsynced_cap: 'risk.unsynced_cap',
  daily_limit: 'risk.daily_limit',
};
const QUOTE_KEY: Record<QuoteRefusal, MessageKey> = {
  nothing_due: 'quote.nothing_due',
  not_found: 'quote.not_found',
  service_unavailable: 'quote.service_unavailable',
  pin_required: 'quote.pin_required',
  pin_wrong: 'quote.pin_wrong',
  beyond_max_stay: 'quote.beyond_max_stay',
  no_return: 'quote.no_return',
  no_parking_now: 'quote.no_parking_now',
  already_paid: 'quote.already_paid',
};

const riskRefused = {
  target: 'refused',
  actions: {
    type: 'showNotice',
    params: ({ event }: { event: { output: { ok: boolean; error?: RiskRefusal } } }) => ({
      key: event.output.ok || event.output.error === undefined ? 'risk.unavailable' : RISK_KEY[event.output.error],
      tx_id: null,
    }),
  },
} as const;

const riskUnavailable = {
  target: 'refused',
  actions: { type: 'showNotice', params: { key: 'risk.unavailable', tx_id: null } },
} as const;

export const bootState = residentSetup.createStateConfig({
  tags: ['out_of_service'],
  invoke: {
    id: 'selfTest',
    src: 'selfTest',
    onDone: [
      {
        guard: { type: 'succeeded', params: ({ event }) => event.output },
        target: 'recovering',
        actions: 'clearFault',
      },
      { target: 'outOfService', actions: { type: 'showNotice', params: { key: 'kiosk.out_of_service', tx_id: null } } },
    ],
    onError: { target: 'outOfService', actions: { type: 'showNotice', params: { key: 'kiosk.out_of_service', tx_id: null } } },
  },
});

/**
 * After a good self-test: first a card commit whose entry could not be written,
 * then an interrupted payment, if any; else go idle.
 */
export const recoveringState = residentSetup.createStateConfig({
  always: [
    { guard: 'hasUnrecorded', target: 'recordingUnrecorded' },
    { guard: 'hasRecovery', target: '#resident.payment.resume', actions: 'takeUpRecovery' },
    { target: 'idle' },
  ],
});

/** The money the card already moved is recorded before anyone else is served. */
export const recordingUnrecordedState = residentSetup.createStateConfig({
  tags: ['out_of_service'],
  invoke: {
    id: 'recordUnrecorded',
    src: 'recordCommitted',
    input: ({ context }) => context.unrecorded ?? never(),
    onDone: [
      { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'recovering', actions: ['clearUnrecorded', 'clearFault'] },
      { target: 'outOfService', actions: { type: 'setLedgerFault', params: ({ event }) => ({ error: event.output.ok ? null : event.output.error }) } },
    ],
    onError: { target: 'outOfService', actions: { type: 'setLedgerFault', params: { error: null } } },
  },
});

export const outOfServiceState = residentSetup.createStateConfig({
  tags: ['out_of_service'],
  after: { selfTestRetry: 'boot' },
  on: { MAINTENANCE_RETRY: 'boot' },
});

export const readerLostState = residentSetup.createStateConfig({
  tags: ['out_of_service'],
  entry: { type: 'showNotice', params: { key: 'reader.lost', tx_id: null } },
  after: { readerRetry: 'boot' },
  on: { READER_RESTORED: 'boot' },
});

export const idleState = residentSetup.createStateConfig({
  entry: ['clearSession', 'clearNotice'],
  on: {
    TOUCH: 'session.waitingForCard',
    CARD_PRESENTED: { target: 'session.reading', actions: 'cardPresent' },
    READER_LOST: 'readerLost',
  },
});

/**
 * A staff card at the reader: devices, sync, offline limits, versions and the
 * self-test for staff to see (the figures are the API's, src/kiosk/api).
 * Nothing here reads a resident's card or moves money; it ends when the staff
 * card leaves the reader, on EXIT_MAINTENANCE or CANCEL, or after the timeout.
 */
export const maintenanceState = residentSetup.createStateConfig({
  tags: ['maintenance'],
  ...timed('#resident.idle'),
  on: {
    EXIT_MAINTENANCE: '#resident.idle',
    CANCEL: '#resident.idle',
    CARD_REMOVED: '#resident.idle',
    READER_LOST: '#resident.readerLost',
  },
});

export const sessionState = residentSetup.createStateConfig({
  initial: 'waitingForCard',
  on: {
    CANCEL: '#resident.idle',
    READER_LOST: '#resident.readerLost',
    CARD_REMOVED: {
      target: '.waitingForCard',
      actions: ['clearSession', { type: 'showNotice', params: { key: 'card.removed', tx_id: null } }],
    },
  },
  states: {
    waitingForCard: {
      ...timed('#resident.idle'),
      on: { CARD_PRESENTED: { target: 'reading', actions: ['cardPresent', 'clearNotice'] } },
    },
    reading: {
      invoke: {
        id: 'readCard',
        src: 'readCard',
        input: { purpose: 'payment' },
        onDone: [
          {
            guard: { type: 'failedWith', params: ({ event }) => ({ result: event.output, error: 'staff_card' }) },
            target: '#resident.maintenance',
            actions: {
              type: 'openMaintenance',
              params: ({ event }) => (!event.output.ok && event.output.error === 'staff_card' ? { masked_serial: event.output.masked_serial } : never()),
            },
          },
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'checkingCard',
            actions: { type: 'storeCard', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
          },
          {
            guard: { type: 'failedWith', params: ({ event }) => ({ result: event.output, error: 'reader_lost' }) },
            target: '#resident.readerLost',
          },
          {
            guard: { type: 'failedWith', params: ({ event }) => ({ result: event.output, error: 'card_removed' }) },
            target: 'waitingForCard',
            actions: ['clearSession', { type: 'showNotice', params: { key: 'card.removed', tx_id: null } }],
          },
          {
            target: 'cardUnreadable',
            actions: {
              type: 'showNotice',
              params: ({ event }) => ({ key: event.output.ok ? 'card.unreadable' : READ_ERROR_KEY[event.output.error], tx_id: null }),
            },
          },
        ],
        onError: { target: 'cardUnreadable', actions: { type: 'showNotice', params: { key: 'card.unreadable', tx_id: null } } },
      },
    },
    cardUnreadable: { ...timed('#resident.idle'), on: { ACK: '#resident.idle' } },
    checkingCard: {
      invoke: {
        id: 'checkCard',
        src: 'checkRisk',
        input: ({ context }) => ({ card: context.card ?? never(), amount_minor: 0 }),
        onDone: [{ guard: { type: 'succeeded', params: ({ event }) => event.output }, target: 'balanceShown' }, riskRefused],
        onError: riskUnavailable,
      },
    },
    refused: { ...timed('#resident.idle'), on: { ACK: '#resident.idle' } },
    balanceShown: {
      ...timed('#resident.idle'),
      on: { CONTINUE: 'chooseService', SHOW_HISTORY: 'history', FINISH: '#resident.idle' },
    },
    // The card's own history, read only now that the resident asks for it (a tap costs one APDU less without it).
    history: {
      initial: 'reading',
      on: { BACK: 'chooseService' },
      states: {
        reading: {
          invoke: {
            id: 'readHistory',
            src: 'readHistory',
            onDone: [
              {
                guard: { type: 'succeeded', params: ({ event }) => event.output },
                target: 'shown',
                actions: { type: 'storeHistory', params: ({ event }) => ({ recent: event.output.ok ? event.output.value : never() }) },
              },
              { target: 'shown', actions: { type: 'showNotice', params: { key: 'card.history_unavailable', tx_id: null } } },
            ],
            onError: { target: 'shown', actions: { type: 'showNotice', params: { key: 'card.history_unavailable', tx_id: null } } },
          },
        },
        shown: { ...timed('#resident.idle') },
      },
    },
    chooseService: {
      ...timed('#resident.idle'),
      on: {
        SELECT_SERVICE: {
          target: 'quoting',
          actions: { type: 'select', params: ({ event }) => ({ kind: event.kind, reference: event.reference }) },
        },
        SHOW_HISTORY: 'history',
        BACK: 'balanceShown',
      },
    },
    // The quote is asked for again after a PIN or a choice: the PIN comes straight
    // from the SUBMIT_PIN event into the service's input and is kept nowhere; the
    // chosen option ids from CHOOSE.
    quoting: {
      invoke: {
        id: 'quote',
        src: 'quote',
        input: ({ context, event }) => {
          const { selection, card } = context;
          if (selection === null || card === null) return never();
          const base = { kind: selection.kind, reference: selection.reference, card_ref: card.card_ref };
          if (event.type === 'SUBMIT_PIN') return { ...base, pin: event.pin };
          if (event.type === 'CHOOSE') return { ...base, chosen: [...event.option_ids] };
          return base;
        },
        onDone: [
          {
            guard: { type: 'asksToChoose', params: ({ event }) => event.output },
            target: 'choosing',
            actions: [{ type: 'storeQuote', params: ({ event }) => (event.output.ok ? event.output.value : never()) }, 'clearNotice'],
          },
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'confirming',
            actions: [{ type: 'storeQuote', params: ({ event }) => (event.output.ok ? event.output.value : never()) }, 'clearNotice'],
          },
          {
            guard: { type: 'failedWith', params: ({ event }) => ({ result: event.output, error: 'pin_required' }) },
            target: 'patronPin',
            actions: { type: 'showNotice', params: { key: 'quote.pin_required', tx_id: null } },
          },
          {
            guard: { type: 'failedWith', params: ({ event }) => ({ result: event.output, error: 'pin_wrong' }) },
            target: 'patronPin',
            actions: { type: 'showNotice', params: { key: 'quote.pin_wrong', tx_id: null } },
          },
          {
            target: 'quoteRefused',
            actions: {
              type: 'showNotice',
              params: ({ event }) => ({ key: event.output.ok ? 'quote.not_found' : QUOTE_KEY[event.output.error], tx_id: null }),
            },
          },
        ],
        onError: {
          target: 'quoteRefused',
          actions: { type: 'showNotice', params: { key: 'quote.service_unavailable', tx_id: null } },
        },
      },
    },
    patronPin: {
      ...timed('#resident.idle'),
      on: { SUBMIT_PIN: { target: 'quoting', actions: 'clearNotice' }, BACK: 'chooseService' },
    },
    choosing: {
      ...timed('#resident.idle'),
      on: {
        CHOOSE: [
          { guard: { type: 'validChoice', params: ({ event }) => ({ option_ids: event.option_ids }) }, target: 'quoting', actions: 'clearNotice' },
          { actions: { type: 'showNotice', params: { key: 'quote.choice_invalid', tx_id: null } } },
        ],
        BACK: 'chooseService',
      },
    },
    quoteRefused: { ...timed('#resident.idle'), on: { BACK: 'chooseService' } },
    confirming: {
      ...timed('#resident.idle'),
      invoke: {
        id: 'printerStatus',
        src: 'printerStatus',
        onDone: {
          actions: { type: 'storeReceiptAvailability', params: ({ event }) => ({ available: event.output.ok }) },
        },
        onError: { actions: { type: 'storeReceiptAvailability', params: { available: false } } },
      },
      on: {
        CONFIRM: [
          {
            guard: 'insufficientBalance',
            target: 'insufficientFunds',
            actions: { type: 'showNotice', params: { key: 'payment.insufficient_funds', tx_id: null } },
          },
          { target: 'checkingRisk' },
        ],
        BACK: 'chooseService',
      },
    },
    insufficientFunds: { ...timed('#resident.idle'), on: { BACK: 'chooseService' } },
    checkingRisk: {
      invoke: {
        id: 'checkRisk',
        src: 'checkRisk',
        input: ({ context }) => ({ card: context.card ?? never(), amount_minor: context.quote?.amount_minor ?? never() }),
        onDone: [
          { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: '#resident.payment' },
          riskRefused,
        ],
        onError: riskUnavailable,
      },
    },
  },
});
