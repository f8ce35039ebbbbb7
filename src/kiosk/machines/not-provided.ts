import { fromPromise } from 'xstate';

/**
 * Placeholder logic for an actor the machine names but does not implement.
 * Real implementations come in with `.provide({ actors })`; if one is missing
 * the invoke fails, and every invoke has an `onError` way out.
 */
export function notProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(() => Promise.reject(new Error(`actor ${name} not provided`)));
}
