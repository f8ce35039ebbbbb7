// Restarting the resident machine after a crash, from its last persisted
// snapshot.
//
// Restoring the snapshot as-is (`createActor(machine, { snapshot })`) is
// wrong for a payment: xstate restarts a pending promise actor, so a snapshot
// taken during the debit would send the debit to the card a second time, and
// timers (`after`) are not re-armed. Instead the payment's progress is read
// from the snapshot and handed to a fresh machine as `input.recovery`; after
// its self-test the machine takes it up in `payment.resume`, where nothing
// that may have reached the card is guessed: it is settled by the same card.
import type { PaymentProgress, PaymentStage, ResidentInput } from './resident-setup';

const NOTHING_LEFT_TO_DO: readonly PaymentStage[] = ['aborted', 'settled'];

function isProgress(value: unknown): value is PaymentProgress {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Partial<PaymentProgress>;
  return (
    typeof p.stage === 'string' &&
    typeof p.tx === 'object' &&
    p.tx !== null &&
    typeof p.tx.tx_id === 'string' &&
    Number.isSafeInteger(p.tx.amount_minor) &&
    typeof p.quote === 'object'
  );
}

/**
 * The payment a persisted resident snapshot was in the middle of, or null.
 * A snapshot taken while booting after an earlier crash still carries that
 * crash's recovery, which is handed on.
 */
export function recoveryFromSnapshot(persisted: unknown): PaymentProgress | null {
  if (typeof persisted !== 'object' || persisted === null) return null;
  const context = (persisted as { context?: { payment?: unknown; recovery?: unknown } }).context;
  if (context === undefined) return null;
  for (const candidate of [context.payment, context.recovery]) {
    if (isProgress(candidate) && !NOTHING_LEFT_TO_DO.includes(candidate.stage)) return candidate;
  }
  return null;
}

/** Input for the machine that replaces the one that crashed. */
export function residentInputAfterRestart(persisted: unknown, base: Omit<ResidentInput, 'recovery'> = {}): ResidentInput {
  return { ...base, recovery: recoveryFromSnapshot(persisted) };
}
