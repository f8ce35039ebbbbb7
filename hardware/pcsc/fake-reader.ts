// An in-memory CardReader over ApduHandlers, for unit tests of the code above
// the reader (like serialport's MockBinding: the same contract, plus test
// affordances). It keeps the real driver's rules:
//  - one exclusive session per card; a second waitForCard() waits, then CardInUseError;
//  - a card is powered on when it arrives, reset (powerOff + powerOn) on release(),
//    powered off when it leaves;
//  - a card taken away fails the session with CardRemovedError, and tearAt()
//    tears the field at a chosen APDU exactly as the vpcd simulator does.
// Affordances: attachReader/detachReader, insertCard/removeCard, holdElsewhere
// (another program holds the card), tearAt, and `recording` of every exchange.

import { ChangeWaiter } from './change-waiter';
import { EventEmitter } from 'node:events';
import type { ApduHandler } from '../sim/apdu-handler';
import {
  CardInUseError,
  CardRemovedError,
  NoCardError,
  NoReaderError,
  ReaderError,
  SessionClosedError,
  type CardReader,
  type CardReaderEvents,
  type CardSession,
  type ReaderStatus,
  type WaitForCardOptions,
} from './types';

export const FAKE_READER_NAME = 'Fake PCD 00 00';

export interface FakeTearPlan {
  apdu: number;
  when: 'before' | 'after';
}

export interface RecordedExchange {
  reader: string;
  command: Buffer;
  /** null when the exchange was torn. */
  response: Buffer | null;
}

interface FakeSlot {
  readonly name: string;
  card: ApduHandler | null;
  session: FakeSession | null;
  heldElsewhere: boolean;
  tear: { remaining: number; when: 'before' | 'after' } | null;
}

export class FakeCardReader extends EventEmitter<CardReaderEvents> implements CardReader {
  /** Every APDU exchanged through any session, in order. */
  readonly recording: RecordedExchange[] = [];
  private readonly slots = new Map<string, FakeSlot>();
  private readonly changes = new ChangeWaiter();
  private closed = false;

  constructor(options: { readers?: string[] } = {}) {
    super();
    for (const name of options.readers ?? [FAKE_READER_NAME]) this.slots.set(name, newSlot(name));
  }

  // -- test affordances -------------------------------------------------------

  attachReader(name: string): void {
    if (this.slots.has(name)) return;
    this.slots.set(name, newSlot(name));
    this.emit('reader-attached', name);
    this.notify();
  }

  detachReader(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    this.takeCardAway(slot, 'the reader was unplugged');
    this.slots.delete(name);
    this.emit('reader-detached', name);
    this.notify();
  }

  /** Puts a card on a reader (the first one by default) and powers it on. */
  insertCard(card: ApduHandler, reader?: string): void {
    const slot = this.slot(reader);
    if (slot.card) throw new Error(`insertCard: "${slot.name}" already has a card`);
    slot.card = card;
    card.powerOn();
    this.emit('card-arrived', { reader: slot.name, atr: card.atr });
    this.notify();
  }

  removeCard(reader?: string): void {
    this.takeCardAway(this.slot(reader), 'it was taken away between commands');
    this.notify();
  }

  /** Another program holds the card exclusively (true) or lets go (false). */
  holdElsewhere(held: boolean, reader?: string): void {
    this.slot(reader).heldElsewhere = held;
    this.notify();
  }

  /** Counting from now (1 = the next APDU): 'before' the card sees it, or 'after' it ran it. */
  tearAt(plan: FakeTearPlan | null, reader?: string): void {
    const slot = this.slot(reader);
    if (plan && (!Number.isInteger(plan.apdu) || plan.apdu < 1)) throw new RangeError(`tearAt: apdu must be >= 1, got ${plan.apdu}`);
    slot.tear = plan ? { remaining: plan.apdu, when: plan.when } : null;
  }

  /** Drops the recorded exchanges (long runs: benchmarks, soak tests). */
  clearRecording(): void {
    this.recording.length = 0;
  }

  // -- CardReader ------------------------------------------------------------------

  readers(): string[] {
    return [...this.slots.keys()];
  }

  status(reader?: string): ReaderStatus {
    const slots = [...this.slots.values()];
    const slot = reader === undefined ? slots.find((s) => s.card) ?? slots[0] : this.slots.get(reader);
    if (!slot) return { status: 'no_reader' };
    if (!slot.card) return { status: 'no_card', reader: slot.name };
    return { status: 'card_present', reader: slot.name, atr: slot.card.atr };
  }

  async waitForCard(opts: WaitForCardOptions): Promise<CardSession> {
    opts.signal?.throwIfAborted();
    const deadline = Date.now() + opts.timeout_ms;
    for (;;) {
      if (this.closed) throw new ReaderError('waitForCard(): the card reader is closed');
      const candidates = opts.reader === undefined ? [...this.slots.values()] : [this.slots.get(opts.reader)].filter((s) => s !== undefined);
      const withCard = candidates.filter((s) => s.card);
      const free = withCard.find((s) => !s.session && !s.heldElsewhere);
      if (free) {
        const session = new FakeSession(this, free, free.card!);
        free.session = session;
        return session;
      }
      const remaining_ms = deadline - Date.now();
      if (remaining_ms <= 0) {
        if (candidates.length === 0) throw new NoReaderError(opts.reader ? `named "${opts.reader}"` : '');
        if (withCard.length > 0) throw new CardInUseError(withCard[0]!.name);
        throw new NoCardError(opts.reader, opts.timeout_ms);
      }
      await this.nextChange(remaining_ms, opts.signal);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots.values()) await slot.session?.release();
    this.notify();
  }

  // -- used by FakeSession -------------------------------------------------------------

  exchange(slot: FakeSlot, card: ApduHandler, command: Buffer): Buffer {
    if (slot.card !== card) throw new CardRemovedError(slot.name, 'it was taken away between commands', false);
    const tear = slot.tear;
    if (tear) tear.remaining -= 1;
    if (tear && tear.remaining === 0) {
      slot.tear = null;
      if (tear.when === 'after') card.transmit(command);
      this.recording.push({ reader: slot.name, command, response: null });
      this.takeCardAway(slot, `torn ${tear.when} the command ran`);
      this.notify();
      throw new CardRemovedError(slot.name, `the field was torn ${tear.when} the card ran the command`, true);
    }
    const response = card.transmit(command);
    this.recording.push({ reader: slot.name, command, response });
    return response;
  }

  endSession(slot: FakeSlot, session: FakeSession, card: ApduHandler): void {
    if (slot.session !== session) return;
    slot.session = null;
    if (slot.card === card) {
      card.powerOff(); // release() resets the card, as the real driver does by default
      card.powerOn();
    }
    this.notify();
  }

  // -- internals ----------------------------------------------------------------------

  private slot(reader: string | undefined): FakeSlot {
    const slot = reader === undefined ? this.slots.values().next().value : this.slots.get(reader);
    if (!slot) throw new Error(`fake reader: no reader ${reader === undefined ? 'attached' : `named "${reader}"`}`);
    return slot;
  }

  private takeCardAway(slot: FakeSlot, why: string): void {
    const card = slot.card;
    if (!card) return;
    slot.card = null;
    slot.tear = null;
    card.powerOff();
    slot.session?.cardLeft(why);
    slot.session = null;
    this.emit('card-removed', { reader: slot.name });
  }

  private notify(): void {
    this.changes.notify();
  }

  private nextChange(timeout_ms: number, signal?: AbortSignal): Promise<void> {
    return this.changes.next(timeout_ms, signal);
  }
}

class FakeSession implements CardSession {
  readonly reader: string;
  readonly atr: Buffer;
  private queue: Promise<unknown> = Promise.resolve();
  private over: ReaderError | null = null;

  constructor(
    private readonly owner: FakeCardReader,
    private readonly slot: FakeSlot,
    private readonly card: ApduHandler,
  ) {
    this.reader = slot.name;
    this.atr = card.atr;
  }

  transmit(apdu: Buffer): Promise<Buffer> {
    const result = this.queue.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve)); // asynchronous, as a reader is
      if (this.over) throw this.over;
      try {
        return this.owner.exchange(this.slot, this.card, Buffer.from(apdu));
      } catch (err) {
        if (err instanceof ReaderError) this.over = err;
        throw err;
      }
    });
    this.queue = result.catch(() => {});
    return result;
  }

  async release(): Promise<void> {
    if (this.over?.kind === 'session_closed') return;
    this.over = new SessionClosedError(this.reader, 'release() was called');
    await this.queue;
    this.owner.endSession(this.slot, this, this.card);
  }

  cardLeft(why: string): void {
    this.over ??= new CardRemovedError(this.reader, why, false);
  }
}

function newSlot(name: string): FakeSlot {
  return { name, card: null, session: null, heldElsewhere: false, tear: null };
}
