// Attendant machine, signed in: open a shift with a declared float, top up
// cards against cash, let a supervisor void the last top-up while the window
// is open, and close the shift with a blind count (the expected cash is
// computed by the ledger only after the count is in, and only then shown).
import { attendantSetup } from './attendant-setup';
import { pinOutcomes } from './attendant-access';
import { never } from './invariant';
import { notice } from './messages';
import { cardTxnState } from './attendant-txn';
import { replacementState } from './attendant-replacement';
import { timed } from './timed';

const MENU = '#attendant.signedIn.menu';

const readFailed = {
  target: 'waitingForCard',
  actions: { type: 'showNotice', params: notice('card.unreadable') },
} as const;

export const signedInState = attendantSetup.createStateConfig({
  initial: 'routing',
  states: {
    routing: {
      always: [
        { guard: 'shiftOfAnother', target: 'shiftBusy' },
        { guard: 'shiftOpen', target: 'menu' },
        { target: 'shiftClosed' },
      ],
    },
    shiftBusy: {
      ...timed('#attendant.signedOut'),
      entry: { type: 'showNotice', params: notice('shift.other_attendant_open') },
      on: { ACK: '#attendant.signedOut' },
    },
    shiftClosed: {
      ...timed('#attendant.signedOut'),
      on: {
        OPEN_SHIFT: [
          {
            guard: { type: 'minorAmount', params: ({ event }) => ({ amount_minor: event.opening_float_minor }) },
            target: 'openingShift',
            actions: { type: 'storeFloat', params: ({ event }) => ({ amount_minor: event.opening_float_minor }) },
          },
          { actions: { type: 'showNotice', params: notice('shift.float_invalid') } },
        ],
        SIGN_OUT: '#attendant.signedOut',
      },
    },
    openingShift: {
      invoke: {
        id: 'openShift',
        src: 'openShift',
        input: ({ context }) => ({
          staff_ref: context.staff?.staff_ref ?? never(),
          opening_float_minor: context.opening_float_minor ?? never(),
        }),
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'menu',
            actions: { type: 'storeShift', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
          },
          { target: 'shiftClosed', actions: { type: 'showNotice', params: notice('shift.open_failed') } },
        ],
        onError: { target: 'shiftClosed', actions: { type: 'showNotice', params: notice('shift.open_failed') } },
      },
    },
    menu: {
      ...timed('#attendant.signedOut'),
      entry: 'forgetCard',
      on: {
        TOP_UP: { target: 'topUp', actions: ['startTopUp', 'clearNotice'] },
        VOID_LAST: { guard: 'voidable', target: 'void', actions: ['startVoid', 'clearNotice'] },
        REPLACE_CARD: { target: 'replacement', actions: ['startReplacement', 'clearNotice'] },
        CLOSE_SHIFT: { target: 'countingCash', actions: 'clearNotice' },
        SIGN_OUT: '#attendant.signedOut',
      },
    },
    topUp: {
      initial: 'waitingForCard',
      on: {
        CANCEL: MENU,
        CARD_REMOVED: { target: '.waitingForCard', actions: { type: 'showNotice', params: notice('card.removed') } },
      },
      states: {
        waitingForCard: { ...timed(MENU), on: { CARD_PRESENTED: { target: 'reading', actions: 'clearNotice' } } },
        reading: {
          invoke: {
            id: 'readCard',
            src: 'readCard',
            input: { purpose: 'top_up' },
            onDone: [
              {
                guard: { type: 'cardUnusable', params: ({ event }) => event.output },
                target: 'cardRefused',
                actions: { type: 'showNotice', params: notice('topup.card_refused') },
              },
              {
                guard: { type: 'succeeded', params: ({ event }) => event.output },
                target: 'enteringAmount',
                actions: { type: 'storeCard', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
              },
              readFailed,
            ],
            onError: readFailed,
          },
        },
        cardRefused: { ...timed(MENU), on: { ACK: MENU } },
        enteringAmount: {
          ...timed(MENU),
          on: {
            AMOUNT_ENTERED: [
              {
                guard: { type: 'acceptableTopUp', params: ({ event }) => ({ amount_minor: event.amount_minor }) },
                target: 'confirming',
                actions: [{ type: 'storeAmount', params: ({ event }) => ({ amount_minor: event.amount_minor }) }, 'clearNotice'],
              },
              { actions: { type: 'showNotice', params: notice('topup.amount_invalid') } },
            ],
          },
        },
        confirming: {
          ...timed(MENU),
          on: { CONFIRM: '#attendant.signedIn.cardTxn', BACK: 'enteringAmount' },
        },
      },
    },
    void: {
      initial: 'waitingForSupervisorCard',
      on: { CANCEL: MENU },
      states: {
        waitingForSupervisorCard: { ...timed(MENU), on: { CARD_PRESENTED: 'readingSupervisorCard' } },
        readingSupervisorCard: {
          invoke: {
            id: 'readSupervisorCard',
            src: 'readStaffCard',
            onDone: [
              {
                guard: { type: 'isSupervisor', params: ({ event }) => event.output },
                target: 'enteringSupervisorPin',
                actions: [{ type: 'storeSupervisor', params: ({ event }) => (event.output.ok ? event.output.value : never()) }, 'clearNotice'],
              },
              {
                guard: { type: 'succeeded', params: ({ event }) => event.output },
                target: 'voidRefused',
                actions: { type: 'showNotice', params: notice('void.not_supervisor') },
              },
              { target: 'waitingForSupervisorCard', actions: { type: 'showNotice', params: notice('staff.card_refused') } },
            ],
            onError: { target: 'waitingForSupervisorCard', actions: { type: 'showNotice', params: notice('staff.card_refused') } },
          },
        },
        enteringSupervisorPin: { ...timed(MENU), on: { PIN_ENTERED: 'verifyingSupervisorPin' } },
        verifyingSupervisorPin: {
          invoke: {
            id: 'verifySupervisorPin',
            src: 'verifyPin',
            input: ({ context, event }) => ({
              staff_ref: context.supervisor?.staff_ref ?? never(),
              pin: event.type === 'PIN_ENTERED' ? event.pin : never(),
            }),
            onDone: [
              {
                guard: { type: 'pinAccepted', params: ({ event }) => event.output },
                target: 'waitingForCard',
                actions: ['resetPinAttempts', 'clearNotice'],
              },
              ...pinOutcomes('enteringSupervisorPin'),
            ],
            onError: { target: 'enteringSupervisorPin', actions: { type: 'showNotice', params: notice('pin.unavailable') } },
          },
        },
        waitingForCard: { ...timed(MENU), on: { CARD_PRESENTED: 'reading' } },
        reading: {
          invoke: {
            id: 'readVoidCard',
            src: 'readCard',
            input: { purpose: 'void' },
            onDone: [
              {
                guard: { type: 'notTheToppedUpCard', params: ({ event }) => event.output },
                target: 'waitingForCard',
                actions: { type: 'showNotice', params: notice('void.different_card') },
              },
              {
                guard: { type: 'cannotCoverVoid', params: ({ event }) => event.output },
                target: 'voidRefused',
                actions: { type: 'showNotice', params: notice('void.balance_too_low') },
              },
              {
                guard: { type: 'succeeded', params: ({ event }) => event.output },
                target: '#attendant.signedIn.cardTxn',
                actions: { type: 'storeCard', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
              },
              readFailed,
            ],
            onError: readFailed,
          },
        },
        voidRefused: { ...timed(MENU), on: { ACK: MENU } },
      },
    },
    replacement: replacementState,
    cardTxn: cardTxnState,
    // Blind: nothing in context tells the attendant what the drawer should hold.
    countingCash: {
      ...timed(MENU),
      on: {
        CASH_COUNTED: [
          {
            guard: { type: 'minorAmount', params: ({ event }) => ({ amount_minor: event.counted_minor }) },
            target: 'closingShift',
            actions: { type: 'storeCount', params: ({ event }) => ({ counted_minor: event.counted_minor }) },
          },
          { actions: { type: 'showNotice', params: notice('shift.count_invalid') } },
        ],
        CANCEL: 'menu',
      },
    },
    closingShift: {
      invoke: {
        id: 'closeShift',
        src: 'closeShift',
        input: ({ context }) => ({
          shift_id: context.shift?.shift_id ?? never(),
          staff_ref: context.staff?.staff_ref ?? never(),
          counted_minor: context.counted_minor ?? never(),
        }),
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'shiftSummary',
            actions: [{ type: 'storeClose', params: ({ event }) => (event.output.ok ? event.output.value : never()) }, 'closeVoidWindow'],
          },
          { target: 'countingCash', actions: { type: 'showNotice', params: notice('shift.close_failed') } },
        ],
        onError: { target: 'countingCash', actions: { type: 'showNotice', params: notice('shift.close_failed') } },
      },
    },
    // Over/short shown only now, after the count was committed.
    shiftSummary: { ...timed('#attendant.signedOut'), on: { ACK: '#attendant.signedOut' } },
  },
});
