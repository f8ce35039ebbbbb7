// Attendant machine, signed out: staff card, then PIN. Too many wrong PINs
// lock the station for `lockout_ms`; the PIN itself goes only to the
// verifier and is never kept in context.
import { attendantSetup } from './attendant-setup';
import type { VerifyPinResult } from './contracts';
import { never } from './invariant';
import { notice } from './messages';
import { timed } from './timed';

/** Wrong PIN answers, shared with the supervisor's PIN entry (same counter, same lockout). */
export function pinOutcomes(reenter: 'enteringPin' | 'enteringSupervisorPin') {
  return [
    {
      guard: { type: 'pinLockedOut', params: ({ event }: { event: { output: VerifyPinResult } }) => event.output },
      target: '#attendant.signedOut.lockedOut',
    },
    {
      guard: { type: 'pinRejectedForTheLastTime', params: ({ event }: { event: { output: VerifyPinResult } }) => event.output },
      target: '#attendant.signedOut.lockedOut',
      actions: 'countWrongPin',
    },
    {
      guard: { type: 'pinRejected', params: ({ event }: { event: { output: VerifyPinResult } }) => event.output },
      target: reenter,
      actions: ['countWrongPin', { type: 'showNotice', params: notice('pin.wrong') }],
    },
    { target: reenter, actions: { type: 'showNotice', params: notice('pin.unavailable') } },
  ] as const;
}

export const signedOutState = attendantSetup.createStateConfig({
  initial: 'waitingForStaffCard',
  states: {
    // The attract screen of the station: waits for a staff card without a timeout.
    waitingForStaffCard: {
      entry: 'signOut',
      on: { CARD_PRESENTED: { target: 'readingStaffCard', actions: 'clearNotice' } },
    },
    readingStaffCard: {
      invoke: {
        id: 'readStaffCard',
        src: 'readStaffCard',
        onDone: [
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'enteringPin',
            actions: { type: 'storeStaff', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
          },
          { target: 'staffCardRefused', actions: { type: 'showNotice', params: notice('staff.card_refused') } },
        ],
        onError: { target: 'staffCardRefused', actions: { type: 'showNotice', params: notice('staff.card_refused') } },
      },
    },
    staffCardRefused: { ...timed('#attendant.signedOut.waitingForStaffCard'), on: { ACK: 'waitingForStaffCard' } },
    enteringPin: {
      ...timed('#attendant.signedOut.waitingForStaffCard'),
      on: { PIN_ENTERED: 'verifyingPin', CANCEL: 'waitingForStaffCard' },
    },
    verifyingPin: {
      invoke: {
        id: 'verifyPin',
        src: 'verifyPin',
        input: ({ context, event }) => ({
          staff_ref: context.staff?.staff_ref ?? never(),
          pin: event.type === 'PIN_ENTERED' ? event.pin : never(),
        }),
        onDone: [
          {
            guard: { type: 'pinAccepted', params: ({ event }) => event.output },
            target: '#attendant.signedIn',
            actions: ['resetPinAttempts', 'clearNotice'],
          },
          ...pinOutcomes('enteringPin'),
        ],
        onError: { target: 'enteringPin', actions: { type: 'showNotice', params: notice('pin.unavailable') } },
      },
    },
    lockedOut: {
      entry: ['signOut', { type: 'showNotice', params: notice('pin.locked_out') }],
      after: { lockout: { target: 'waitingForStaffCard', actions: ['resetPinAttempts', 'clearNotice'] } },
    },
  },
});
