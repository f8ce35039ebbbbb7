// Every state and every transition of the resident machine, reached on a
// running actor along paths that xstate/graph derives from the definition.
import { describe, expect, it } from 'vitest';
import { assign, type AnyMachineSnapshot } from 'xstate';
import { residentMachine } from '../../../src/kiosk/machines/resident';
import { allStateNodes, allTransitionKeys } from './support/driver';
import { TEST_TIMEOUTS, TX_ID, progressAt } from './support/fixtures';
import { runModel, runRandomWalks } from './support/model';
import { RESIDENT_ACTORS, RESIDENT_EVENTS, pinNeverKept, residentKey } from './support/resident-model';

const COMMITTED_STAGES: readonly string[] = ['card_committed', 'recorded', 'service_refused', 'fulfilled'];
const backAtRest = (s: AnyMachineSnapshot): boolean => s.value === 'idle' || s.value === 'outOfService';
const INPUT = { timeouts: TEST_TIMEOUTS, max_record_attempts: 2 };
/** The model without its starts: each test says where the machine begins. */
const MODEL = { machine: residentMachine, actorNames: RESIDENT_ACTORS, events: RESIDENT_EVENTS, key: residentKey, invariant: pinNeverKept };

describe('resident machine, model-based', () => {
  it('reaches every state and takes every transition on a running actor', async () => {
    const input = INPUT;
    const run = await runModel({
      ...MODEL,
      starts: [
        { name: 'fresh start', input },
        // A restart in the middle of a payment, at every stage it can be in.
        ...(['intent_pending', 'debit_in_flight', 'card_committed', 'recorded', 'service_refused', 'fulfilled', 'aborting', 'settled'] as const).map(
          (stage) => ({ name: `recovery at ${stage}`, input: { ...input, recovery: progressAt(stage) }, stopWhen: backAtRest, committedBefore: COMMITTED_STAGES.includes(stage) ? [TX_ID] : [] }),
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

  it('keeps the money invariants on random walks, restarts included', async () => {
    const input = INPUT;
    const walks = { walks: 300, steps: 60, seed: 20261202 };
    const steps = await runRandomWalks(
      {
        ...MODEL,
        starts: [
          { name: 'fresh start', input },
          { name: 'recovery after the card committed', input: { ...input, recovery: progressAt('card_committed') }, committedBefore: [TX_ID] },
          { name: 'recovery with the debit in flight', input: { ...input, recovery: progressAt('debit_in_flight') } },
        ],
      },
      walks,
    );
    console.info(`resident random walks: ${walks.walks} walks per start, ${steps} steps, seed ${walks.seed}`);
  }, 120_000);

  it('the invariants catch a machine that aborts a payment the card committed', async () => {
    // A defect on the model itself (so model and machine agree): after a restart, a payment the
    // card had committed is taken up as one to abort.
    const broken = residentMachine.provide({
      guards: {
        paymentAt: ({ context }, p: { stages: readonly string[] }) => {
          const stage = context.payment?.stage;
          return stage === 'card_committed' ? p.stages.includes('aborting') : stage !== undefined && p.stages.includes(stage);
        },
      },
    });
    const start = { name: 'recovery after the card committed', input: { timeouts: TEST_TIMEOUTS, recovery: progressAt('card_committed') }, committedBefore: [TX_ID], stopWhen: backAtRest };
    await expect(runModel({ ...MODEL, machine: broken, starts: [start] })).rejects.toThrow(
      /money invariant broken .*recorded as aborted after the card committed it/,
    );
  }, 120_000);

  it('the step check catches a machine that keeps the patron PIN', async () => {
    const broken = residentMachine.provide({ actions: { clearNotice: assign(({ event }) => ({ notice: null, ...(event.type === 'SUBMIT_PIN' ? { selection: { kind: 'library_fine' as const, reference: event.pin } } : {}) })) } });
    await expect(runModel({ ...MODEL, machine: broken, starts: [{ name: 'fresh start', input: INPUT }] })).rejects.toThrow(/PIN was kept/);
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
