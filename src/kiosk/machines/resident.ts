// The resident kiosk machine: attract → card → balance → service → quote →
// confirm → intent → debit → committed → fulfil → receipt → done → attract.
// Pure: devices, ledger and services are named actors supplied with
// `.provide({ actors })`; timeouts come from input so tests drive them with
// SimulatedClock. See resident-session.ts and resident-payment.ts for states.
import { DEFAULT_RESIDENT_TIMEOUTS, residentSetup } from './resident-setup';
import { paymentState } from './resident-payment';
import {
  bootState,
  idleState,
  maintenanceState,
  outOfServiceState,
  readerLostState,
  recordingUnrecordedState,
  recoveringState,
  sessionState,
} from './resident-session';

export const residentMachine = residentSetup.createMachine({
  id: 'resident',
  context: ({ input }) => ({
    timeouts: { ...DEFAULT_RESIDENT_TIMEOUTS, ...input.timeouts },
    max_record_attempts: input.max_record_attempts ?? 3,
    recovery: input.recovery ?? null,
    card: null,
    card_present: false,
    selection: null,
    quote: null,
    receipt_available: null,
    payment: null,
    record_attempts: 0,
    notice: null,
    fault: null,
    unrecorded: input.unrecorded ?? null,
    maintenance_staff: null,
  }),
  initial: 'boot',
  states: {
    boot: bootState,
    recovering: recoveringState,
    recordingUnrecorded: recordingUnrecordedState,
    outOfService: outOfServiceState,
    readerLost: readerLostState,
    idle: idleState,
    session: sessionState,
    maintenance: maintenanceState,
    payment: paymentState,
  },
});

export type ResidentMachine = typeof residentMachine;
export {
  DEFAULT_RESIDENT_TIMEOUTS,
  type PaymentProgress,
  type PaymentStage,
  type ResidentContext,
  type ResidentEvent,
  type ResidentInput,
  type ResidentTimeouts,
} from './resident-setup';
