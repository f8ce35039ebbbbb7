// Model-based testing with xstate/graph: the machine definition, walked purely
// (getAdjacencyMap / getShortestPaths), yields every reachable (state, event)
// edge; each edge is then replayed on a real actor (fake actors answered with
// the event's output, timers fired on the SimulatedClock) and the actor must
// land where the model says. Coverage is measured on the running actor.
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph';
import { Driver } from './driver';
import { checkMoneyInvariants } from './money-invariants';
import { mulberry32 } from '../../../support/prng';

export interface ModelStart {
  readonly name: string;
  readonly input: unknown;
  /** Do not explore past these states (e.g. back at idle after a recovery). */
  readonly stopWhen?: (snapshot: AnyMachineSnapshot) => boolean;
  /** Transactions the card had already committed when this start begins (a restart after the commit). */
  readonly committedBefore?: readonly string[];
}

export interface ModelSpec {
  /** The model: paths are derived from this definition. */
  readonly machine: AnyStateMachine;
  /** The machine that runs (defaults to the model); its actors are faked either way. */
  readonly implementation?: AnyStateMachine;
  readonly actorNames: readonly string[];
  readonly starts: readonly ModelStart[];
  /** Concrete events: every variant of every event the machine can see. */
  readonly events: readonly EventObject[];
  /** The context that guards read; states differing only elsewhere are merged. */
  readonly key: (snapshot: AnyMachineSnapshot) => unknown;
  readonly filterEvents?: (snapshot: AnyMachineSnapshot, event: EventObject) => boolean;
  /** Checked after every step beside the money invariants (e.g. no PIN in context); throws when broken. */
  readonly invariant?: (snapshot: AnyMachineSnapshot) => void;
  /** Events the machine raises to itself after a delay: replayed by firing the next timer. */
  readonly timerEvents?: readonly string[];
}

export interface ModelRun {
  readonly visitedStates: Set<string>;
  readonly takenTransitions: Set<string>;
  readonly edges: number;
  readonly steps: number;
}

type Path = StatePath<AnyMachineSnapshot, EventObject>;

/** The spec's variants of the events the active states listen to; every such event must have one. */
function eventsFor(spec: ModelSpec, snapshot: AnyMachineSnapshot): EventObject[] {
  const own = new Set(snapshot._nodes.flatMap((n) => n.ownEvents));
  const timers: EventObject[] = [];
  for (const type of own) {
    if (type.startsWith('xstate.after.')) timers.push({ type });
    else if (type !== '' && !spec.events.some((e) => e.type === type)) {
      throw new Error(`model has no variant of ${type} (heard in ${JSON.stringify(snapshot.value)})`);
    }
  }
  return [...spec.events.filter((e) => own.has(e.type)), ...timers];
}

async function apply(
  driver: Driver<AnyStateMachine>,
  event: EventObject & Record<string, unknown>,
  timerEvents: readonly string[],
): Promise<void> {
  const { type } = event;
  if (timerEvents.includes(type)) return driver.fireNextTimer();
  // Every allocation gets an id of its own on the running actor, as in the kiosk, so that
  // the money invariants can tell one transaction from the next (the model's states do not
  // depend on the id).
  if (type === 'xstate.done.actor.allocateTxId') return driver.resolve('allocateTxId', `${String(event['output'])}#${driver.callsTo('allocateTxId').length}`);
  if (type.startsWith('xstate.done.actor.')) return driver.resolve(type.slice('xstate.done.actor.'.length), event['output']);
  if (type.startsWith('xstate.error.actor.')) return driver.reject(type.slice('xstate.error.actor.'.length), event['error']);
  if (type.startsWith('xstate.after.')) return driver.fireNextTimer();
  driver.send(event);
  return driver.settle();
}

function describeStep(event: EventObject): string {
  const { type, ...rest } = event as EventObject & Record<string, unknown>;
  return Object.keys(rest).length === 0 ? type : `${type} ${JSON.stringify(rest)}`;
}

export async function runModel(spec: ModelSpec): Promise<ModelRun> {
  const visitedStates = new Set<string>();
  const takenTransitions = new Set<string>();
  let edges = 0;
  let steps = 0;

  for (const start of spec.starts) {
    const serializeState = (s: AnyMachineSnapshot): string => JSON.stringify({ v: s.value, k: spec.key(s) });
    const options = {
      input: start.input,
      events: (s: AnyMachineSnapshot) => eventsFor(spec, s),
      serializeState,
      ...(spec.filterEvents ? { filterEvents: spec.filterEvents } : {}),
      ...(start.stopWhen ? { stopWhen: start.stopWhen } : {}),
    };
    const adjacency = getAdjacencyMap(spec.machine, options);
    const shortest = new Map<string, Path>();
    for (const path of getShortestPaths(spec.machine, options) as Path[]) shortest.set(serializeState(path.state), path);

    // One replay per distinct (state, event, next state) of the model.
    const seen = new Set<string>();
    for (const [from, { state, transitions }] of Object.entries(adjacency)) {
      const edgesOut = Object.entries(transitions) as [string, { event: EventObject; state: AnyMachineSnapshot }][];
      for (const [eventKey, { event, state: next }] of edgesOut) {
        const edgeKey = `${JSON.stringify(state.value)}|${eventKey}|${JSON.stringify(next.value)}`;
        if (seen.has(edgeKey)) continue;
        seen.add(edgeKey);
        const path = shortest.get(from);
        if (path === undefined) throw new Error(`[${start.name}] no path to ${from}`);
        const walk = [...path.steps.slice(1), { event, state: next }];
        const driver = new Driver(spec.implementation ?? spec.machine, { actorNames: spec.actorNames, input: start.input });
        const trail: string[] = [];
        const expectState = (expected: AnyMachineSnapshot): void => {
          const got = { v: driver.snapshot.value, k: spec.key(driver.snapshot) };
          const want = { v: expected.value, k: spec.key(expected) };
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(
              `[${start.name}] model and machine disagree after ${trail.join(' → ') || '(start)'}\n` +
                `  model:   ${JSON.stringify(want)}\n  machine: ${JSON.stringify(got)}`,
            );
          }
        };
        expectState(path.steps[0]?.state ?? path.state);
        for (const step of walk) {
          trail.push(describeStep(step.event));
          await apply(driver, step.event as EventObject & Record<string, unknown>, spec.timerEvents ?? []);
          expectState(step.state);
          try {
            checkMoneyInvariants(driver.calls, driver.answers, start.committedBefore);
            spec.invariant?.(driver.snapshot);
          } catch (e) {
            throw new Error(`[${start.name}] money invariant broken after ${trail.join(' → ')}: ${e instanceof Error ? e.message : String(e)}`);
          }
          steps++;
        }
        driver.stop();
        for (const id of driver.visitedStates) visitedStates.add(id);
        for (const t of driver.takenTransitions) takenTransitions.add(t);
        edges++;
      }
    }
  }
  return { visitedStates, takenTransitions, edges, steps };
}

export interface RandomWalks {
  readonly walks: number;
  readonly steps: number;
  readonly seed: number;
}

/** Deterministic: the same seed replays the same walks. */
function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4_294_967_296;
}

function enabled(driver: Driver<AnyStateMachine>, event: EventObject): boolean {
  const { type } = event;
  if (type.startsWith('xstate.done.actor.')) return driver.isPending(type.slice('xstate.done.actor.'.length));
  if (type.startsWith('xstate.error.actor.')) return driver.isPending(type.slice('xstate.error.actor.'.length));
  if (type.startsWith('xstate.after.')) return driver.clock.pending() > 0;
  return true;
}

/**
 * Random walks on a running actor, money invariants checked after every step.
 * Shortest paths visit each (state, context key) once, so they cannot see a
 * defect that depends on history (a second void after the first went
 * uncertain); random walks of many steps do. Returns the steps taken.
 */
export async function runRandomWalks(spec: ModelSpec, walks: RandomWalks): Promise<number> {
  const rand = prng(walks.seed);
  let steps = 0;
  for (const start of spec.starts) {
    for (let w = 0; w < walks.walks; w++) {
      const driver = new Driver(spec.implementation ?? spec.machine, { actorNames: spec.actorNames, input: start.input });
      await driver.settle();
      const trail: string[] = [];
      for (let i = 0; i < walks.steps; i++) {
        const snapshot = driver.snapshot;
        const possible = eventsFor(spec, snapshot).filter((e) => enabled(driver, e) && (spec.filterEvents?.(snapshot, e) ?? true));
        // Devices and the ledger answer before a person acts again; a person's event is one the machine takes.
        const answers = possible.filter((e) => e.type.startsWith('xstate.done.actor.') || e.type.startsWith('xstate.error.actor.'));
        const candidates = answers.length > 0 ? answers : possible.filter((e) => e.type.startsWith('xstate.after.') || snapshot.can(e as never));
        if (candidates.length === 0) break;
        const event = candidates[Math.floor(rand() * candidates.length)]!;
        trail.push(describeStep(event));
        await apply(driver, event as EventObject & Record<string, unknown>, spec.timerEvents ?? []);
        steps++;
        try {
          checkMoneyInvariants(driver.calls, driver.answers, start.committedBefore);
          spec.invariant?.(driver.snapshot);
        } catch (e) {
          throw new Error(`[${start.name}, seed ${walks.seed}, walk ${w}] money invariant broken after ${trail.join(' → ')}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      driver.stop();
    }
  }
  return steps;
}
