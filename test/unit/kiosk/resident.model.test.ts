// Every state and every transition of the resident machine, reached on a
// running actor along paths that xstate/graph derives from the definition.
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { residentMachine } from '../../../src/kiosk/machines/resident';
import { allStateNodes, allTransitionKeys } from './support/driver';
import { TEST_TIMEOUTS, progressAt } from './support/fixtures';
import { runModel } from './support/model';
import { RESIDENT_ACTORS, RESIDENT_EVENTS, residentKey } from './support/resident-model';

const backAtRest = (s: AnyMachineSnapshot): boolean => s.value === 'idle' || s.value === 'outOfService';

describe('resident machine, model-based', () => {
  it('reaches every state and takes every transition on a running actor', async () => {
    const input = { timeouts: TEST_TIMEOUTS, max_record_attempts: 2 };
    const run = await runModel({
      machine: residentMachine,
      actorNames: RESIDENT_ACTORS,
      events: RESIDENT_EVENTS,
      key: residentKey,
      starts: [
        { name: 'fresh start', input },
        // A restart in the middle of a payment, at every stage it can be in.
        ...(['intent_pending', 'debit_in_flight', 'card_committed', 'recorded', 'service_refused', 'fulfilled', 'aborting', 'settled'] as const).map(
          (stage) => ({ name: `recovery at ${stage}`, input: { ...input, recovery: progressAt(stage) }, stopWhen: backAtRest }),
        ),
      ],
    });

    const allStates = allStateNodes(residentMachine).map((n) => n.id);
    const allTransitions = allTransitionKeys(residentMachine);
    expect([...allStates].filter((id) => !run.visitedStates.has(id))).toEqual([]);
    expect(allTransitions.filter((t) => !run.takenTransitions.has(t))).toEqual([]);
    expect(new Set(run.visitedStates)).toEqual(new Set(allStates));
    expect(new Set(run.takenTransitions)).toEqual(new Set(allTransitions));
    console.info(
      `resident model: ${allStates.length} states, ${allTransitions.length} transitions, ` +
        `${run.edges} model edges replayed in ${run.steps} steps`,
    );
  }, 120_000);

  it('notices when the running machine departs from its definition', async () => {
    // Same model, but the machine under test never sees a balance as too low.
    const broken = residentMachine.provide({ guards: { insufficientBalance: () => false } });
    await expect(
      runModel({
        machine: residentMachine,
        implementation: broken,
        actorNames: RESIDENT_ACTORS,
        events: RESIDENT_EVENTS,
        key: residentKey,
        starts: [{ name: 'fresh start', input: { timeouts: TEST_TIMEOUTS } }],
      }),
    ).rejects.toThrow(/model and machine disagree after .*CONFIRM/);
  }, 120_000);
});
