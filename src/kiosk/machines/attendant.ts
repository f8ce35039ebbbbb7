// The attendant station machine: staff card + PIN (lockout), open shift with a
// declared float, cash top-ups credited with the credit key, supervisor void
// of the last top-up within a window (a reversing debit), blind close with
// over/short shown after. Pure; actors are supplied with `.provide()`.
import {
  DEFAULT_ATTENDANT_LIMITS,
  DEFAULT_ATTENDANT_TIMEOUTS,
  attendantSetup,
} from './attendant-setup';
import { signedOutState } from './attendant-access';
import { signedInState } from './attendant-shift';

export const attendantMachine = attendantSetup.createMachine({
  id: 'attendant',
  context: ({ input }) => ({
    timeouts: { ...DEFAULT_ATTENDANT_TIMEOUTS, ...input.timeouts },
    limits: { ...DEFAULT_ATTENDANT_LIMITS, ...input.limits },
    staff: null,
    supervisor: null,
    pin_attempts: 0,
    shift: null,
    opening_float_minor: null,
    card: null,
    card_present: false,
    amount_minor: null,
    op: null,
    txn: null,
    last_top_up: null,
    void_target: null,
    counted_minor: null,
    close: null,
    replacement: null,
    notice: null,
  }),
  on: { VOID_WINDOW_ELAPSED: { actions: 'closeVoidWindow' } },
  initial: 'signedOut',
  states: {
    signedOut: signedOutState,
    signedIn: signedInState,
  },
});

export type AttendantMachine = typeof attendantMachine;
export {
  DEFAULT_ATTENDANT_LIMITS,
  DEFAULT_ATTENDANT_TIMEOUTS,
  type AttendantContext,
  type AttendantEvent,
  type AttendantInput,
  type AttendantLimits,
  type AttendantTimeouts,
  type TxnProgress,
} from './attendant-setup';
