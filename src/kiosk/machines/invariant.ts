/**
 * For a value a guard (or the state the machine is in) has already proven
 * present. Reaching it is a bug in the machine definition, not a runtime
 * condition, so it throws.
 */
export function never(): never {
  throw new Error('invariant: guarded value missing');
}
