// What one life of the recovery harness is told to do.

export const HARNESS_FEE_MINOR = 10;
export const PAYMENT_STATES = ['allocating', 'writingIntent', 'debiting', 'recordingCommitted', 'fulfilling', 'printing', 'done'] as const;

export type KillPlan =
  | { at: 'none' }
  | { at: 'state'; payment: number; state: (typeof PAYMENT_STATES)[number] }
  | { at: 'apdu'; payment: number; apdu: number; when: 'before' | 'after' };

export interface WorkerPlan {
  dir: string;
  seed: number;
  payments: number;
  kill: KillPlan;
  /** Probability that a payment has its card torn at a random APDU. */
  tear_rate: number;
}

