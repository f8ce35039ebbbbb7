// Runs a kiosk machine for real (createActor) with every named actor replaced
// by a controllable fake, timers on a SimulatedClock, and inspection recording
// which state nodes were active and which transition definitions were taken.
import {
  SimulatedClock,
  createActor,
  fromPromise,
  type AnyActorRef,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
} from 'xstate';

/** xstate's clock interface (not exported by name). */
interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A SimulatedClock that also knows when its next timer is due. */
export class SteppingClock implements Clock {
  readonly sim = new SimulatedClock();
  private readonly due = new Map<number, number>();

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = this.sim.setTimeout(() => {
      this.due.delete(id);
      fn();
    }, timeout);
    this.due.set(id, this.sim.now() + timeout);
    return id;
  }

  clearTimeout(id: unknown): void {
    this.due.delete(id as number);
    this.sim.clearTimeout(id as number);
  }

  now(): number {
    return this.sim.now();
  }

  pending(): number {
    return this.due.size;
  }

  /** Moves time to the earliest pending timer and fires it; false if none. */
  fireNext(): boolean {
    if (this.due.size === 0) return false;
    this.sim.set(Math.min(...this.due.values()));
    return true;
  }

  advance(ms: number): void {
    this.sim.increment(ms);
  }
}

export interface Call {
  readonly name: string;
  readonly id: string;
  readonly input: unknown;
}

/** A call and what it answered (a thrown error is `{ error }`). */
export interface Answer extends Call {
  readonly output: unknown;
}

interface Pending extends Call {
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

/** Answers an actor call at once; return `undefined` to leave it pending. */
export type Responder = (input: never, call: Call) => unknown;

export function transitionKey(t: AnyTransitionDefinition): string {
  const list = t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  const index = list.indexOf(t);
  if (index < 0) throw new Error(`transition not found on its source: ${t.source.id} ${t.eventType}`);
  return `${t.source.id} --${t.eventType || '(always)'}#${index}`;
}

export function allStateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const walk = (node: AnyStateNode): void => {
    out.push(node);
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root);
  return out;
}

export function allTransitionKeys(machine: AnyStateMachine): string[] {
  return allStateNodes(machine).flatMap((node) => [
    ...[...node.transitions.values()].flat().map(transitionKey),
    ...(node.always ?? []).map(transitionKey),
  ]);
}

/** Atomic states that wait for a person (no invoke, no eventless exit) with no timer on them or above them. */
export function waitingStatesWithoutTimeout(machine: AnyStateMachine, exempt: readonly string[]): string[] {
  const timed = (node: AnyStateNode | undefined): boolean => node !== undefined && (node.after.length > 0 || timed(node.parent));
  return allStateNodes(machine)
    .filter((n) => n.type === 'atomic' && n.invoke.length === 0 && (n.always ?? []).length === 0 && !timed(n))
    .map((n) => n.id)
    .filter((id) => !exempt.includes(id));
}

export class Driver<TMachine extends AnyStateMachine> {
  readonly clock = new SteppingClock();
  readonly calls: Call[] = [];
  /** Every answered call, in the order the answers reached the machine. */
  readonly answers: Answer[] = [];
  readonly log: string[] = [];
  readonly visitedStates = new Set<string>();
  readonly takenTransitions = new Set<string>();
  readonly actor;
  private readonly pending = new Map<string, Pending>();

  constructor(
    machine: TMachine,
    options: {
      readonly actorNames: readonly string[];
      readonly input?: unknown;
      readonly snapshot?: unknown;
      readonly responders?: Readonly<Record<string, Responder>>;
    },
  ) {
    const responders = options.responders ?? {};
    const actors = Object.fromEntries(
      options.actorNames.map((name) => [
        name,
        fromPromise(({ input, self }: { input: unknown; self: AnyActorRef }) => {
          const call: Call = { name, id: self.id, input };
          this.calls.push(call);
          this.log.push(`${name}:called`);
          const responder = responders[name];
          const answer = responder?.(input as never, call);
          if (answer !== undefined) {
            this.log.push(`${name}:answered`);
            this.answers.push({ ...call, output: answer });
            return Promise.resolve(answer);
          }
          return new Promise((resolve, reject) => {
            this.pending.set(self.id, {
              ...call,
              resolve: (output) => {
                this.log.push(`${name}:answered`);
                this.answers.push({ ...call, output });
                resolve(output);
              },
              reject: (error) => {
                this.answers.push({ ...call, output: { error } });
                reject(error);
              },
            });
          });
        }),
      ]),
    );
    const provided = machine.provide({ actors } as never) as AnyStateMachine;
    this.actor = createActor(provided, {
      clock: this.clock,
      input: options.input,
      ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot as never }),
      inspect: (ev) => {
        if (ev.type !== '@xstate.microstep' || ev.actorRef !== this.actor) return;
        for (const t of ev._transitions) this.takenTransitions.add(transitionKey(t));
        this.recordStates(ev.snapshot as AnyMachineSnapshot);
      },
    });
    this.actor.start();
    this.recordStates();
  }

  get snapshot(): AnyMachineSnapshot {
    return this.actor.getSnapshot() as AnyMachineSnapshot;
  }

  get value(): unknown {
    return this.snapshot.value;
  }

  send(event: { type: string } & Record<string, unknown>): void {
    this.actor.send(event as never);
  }

  /** Sends a user/device event and lets the actors it starts answer. */
  async act(event: { type: string } & Record<string, unknown>): Promise<void> {
    this.send(event);
    await this.settle();
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  pendingInput(id: string): unknown {
    return this.pending.get(id)?.input;
  }

  /** Answers the pending call of the invoke with this id. */
  async resolve(id: string, output: unknown): Promise<void> {
    this.take(id).resolve(output);
    await this.settle();
  }

  async reject(id: string, error: unknown): Promise<void> {
    this.take(id).reject(error);
    await this.settle();
  }

  /** Fires the next timer on the simulated clock. */
  async fireNextTimer(): Promise<void> {
    if (!this.clock.fireNext()) throw new Error(`no timer pending in ${JSON.stringify(this.value)}`);
    await this.settle();
  }

  /** Lets promise callbacks run until the machine is quiet. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }

  callsTo(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  stop(): void {
    this.actor.stop();
  }

  private take(id: string): Pending {
    const p = this.pending.get(id);
    if (p === undefined) throw new Error(`no pending call for invoke ${id} in ${JSON.stringify(this.value)}`);
    this.pending.delete(id);
    return p;
  }

  private recordStates(snapshot: AnyMachineSnapshot = this.snapshot): void {
    for (const node of snapshot._nodes) this.visitedStates.add(node.id);
  }
}
