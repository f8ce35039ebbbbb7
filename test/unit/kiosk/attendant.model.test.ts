// Every state and every transition of the attendant machine, reached on a
// running actor along paths that xstate/graph derives from the definition.
import { describe, expect, it } from 'vitest';
import { assign } from 'xstate';
import type { ReplacementAuth } from '../../../src/kiosk/machines/contracts';
import { attendantMachine } from '../../../src/kiosk/machines/attendant';
import { allStateNodes, allTransitionKeys, Driver } from './support/driver';
import { ATTENDANT_ACTORS, ATTENDANT_EVENTS, ATTENDANT_HAPPY, ATTENDANT_TIMEOUTS, attendantFilter, attendantKey, signedInWithShift } from './support/attendant-model';
import { checkMoneyInvariants } from './support/money-invariants';
import { runModel, runRandomWalks, type ModelSpec } from './support/model';

const SPEC: ModelSpec = {
  machine: attendantMachine,
  actorNames: ATTENDANT_ACTORS,
  events: ATTENDANT_EVENTS,
  key: attendantKey,
  filterEvents: attendantFilter,
  timerEvents: ['VOID_WINDOW_ELAPSED'],
  starts: [{ name: 'station start', input: { timeouts: ATTENDANT_TIMEOUTS, limits: { max_pin_attempts: 2 } } }],
};
const WALKS = { walks: 400, steps: 80, seed: 20261202 };

describe('attendant machine, model-based', () => {
  it('keeps the money invariants on random walks: no card write without a durable intent, nothing aborted after a commit, one void per top-up', async () => {
    const steps = await runRandomWalks(SPEC, WALKS);
    console.info(`attendant random walks: ${WALKS.walks} walks, ${steps} steps, seed ${WALKS.seed}`);
  }, 300_000);

  it('the invariants catch a station that debits a card without a durable intent', async () => {
    // A defect on the model itself (so model and machine agree): a failed intent write is taken as success.
    const broken = attendantMachine.provide({ guards: { failed: () => false } });
    await expect(runModel({ ...SPEC, machine: broken })).rejects.toThrow(/money invariant broken .*(creditCard|debitCard) for .* without a durable intent/);
  }, 300_000);

  it('the invariants hold on a replacement, and catch a station that credits other than what the back office authorised', async () => {
    const drive = async (machine: typeof attendantMachine) => {
      const d = new Driver(machine, { actorNames: ATTENDANT_ACTORS, input: { timeouts: ATTENDANT_TIMEOUTS }, responders: ATTENDANT_HAPPY });
      await signedInWithShift(d);
      for (const e of [{ type: 'REPLACE_CARD' }, { type: 'CODE_ENTERED', code: 'ABCD-2345' }, { type: 'CARD_PRESENTED' }, { type: 'CONFIRM' }]) await d.act(e);
      expect(d.snapshot.matches({ signedIn: { cardTxn: 'done' } })).toBe(true);
      return () => checkMoneyInvariants(d.calls, d.answers);
    };
    expect(await drive(attendantMachine)).not.toThrow();
    const broken = attendantMachine.provide({ actions: { storeReplacement: assign((_, r: ReplacementAuth) => ({ replacement: { ...r, amount_minor: r.amount_minor + 100 } })) } });
    expect(await drive(broken)).toThrow(/replacement .* of 1850 is not what the back office authorised \(repl-1\)/);
  });

  it('reaches every state and takes every transition on a running actor', async () => {
    const run = await runModel(SPEC);

    const allStates = allStateNodes(attendantMachine).map((n) => n.id);
    const allTransitions = allTransitionKeys(attendantMachine);
    expect(allStates.filter((id) => !run.visitedStates.has(id))).toEqual([]);
    expect(allTransitions.filter((t) => !run.takenTransitions.has(t))).toEqual([]);
    expect(new Set(run.visitedStates)).toEqual(new Set(allStates));
    expect(new Set(run.takenTransitions)).toEqual(new Set(allTransitions));
    console.info(
      `attendant model: ${allStates.length} states, ${allTransitions.length} transitions, ` +
        `${run.edges} model edges replayed in ${run.steps} steps`,
    );
  }, 300_000);
});
