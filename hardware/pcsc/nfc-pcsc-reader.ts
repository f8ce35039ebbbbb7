// The real CardReader: nfc-pcsc -> @pokusew/pcsclite -> pcscd -> reader -> card.
//
// What nfc-pcsc does on its own, and what this adapter changes:
//  - nfc-pcsc connects to every arriving card in SHARED mode and keeps that
//    handle while the card is present (Reader.js status handler). That would stop
//    any exclusive connection, ours or another program's. Each reader's connect()
//    is replaced by one that connects nothing, so a card just produces a 'card'
//    event; a session connects EXCLUSIVE itself and disconnects on release().
//  - autoProcessing is off: nothing is sent to the card except the session's APDUs.
//  - pcsclite emits 'error' when pcscd stops (the context is then dead for good)
//    and on close(); every emitter here has an 'error' listener, and a failed
//    context is torn down and re-created on a backoff timer (500 ms -> 5 s).
//  - pcsclite's constructor spins on the main thread while pcscd is absent
//    (SCardEstablishContext is retried while it answers "no service"), so a
//    context is only created after pcscd's socket answers.
//  - Native close() must not run inside a native callback (the reader's status
//    callback holds the mutex close() takes): teardown always runs in setImmediate.
//  - vpcd answers a command that was torn (the card connection dropped) with an
//    empty R-APDU and success; a real reader reports an error. Both surface as
//    CardRemovedError once the removal is confirmed.

import { ChangeWaiter } from './change-waiter';
import { EventEmitter } from 'node:events';
import { NFC, type Logger, type Reader as NfcReader } from 'nfc-pcsc';
import { NfcPcscSession, type SessionOwner, type Slot } from './nfc-pcsc-session';
import { canConnect, connectRaw, describeApdu, disconnectRaw, safely } from './pcsclite-calls';
import { innermostMessage, isCardGone, isPcscdGone, isReaderGone, pcscCode, SCARD } from './pcsc-codes';
import {
  CardInUseError,
  CardRemovedError,
  NoCardError,
  NoReaderError,
  PcscdUnavailableError,
  ReaderError,
  SessionClosedError,
  type CardReader,
  type CardReaderEvents,
  type CardSession,
  type ReaderStatus,
  type WaitForCardOptions,
} from './types';

export interface NfcPcscReaderOptions {
  /** Use only readers whose name contains this text (case-insensitive) or matches this pattern. */
  readerName?: string | RegExp;
  /** Buffer size offered for each R-APDU (data + SW1 SW2). */
  max_response_bytes?: number;
  /** What release() does to the card: 'reset' ends its volatile state (authentication, selection). */
  release?: 'reset' | 'leave';
  reconnect_initial_ms?: number;
  reconnect_max_ms?: number;
  /** After a failed command, how long to wait for pcscd to confirm the card left (it polls vpcd every ~400 ms). */
  removal_confirm_ms?: number;
  /** pcscd's client socket, probed before creating a PC/SC context. */
  pcscd_socket_path?: string;
  log?: (message: string) => void;
}

const DEFAULTS = {
  max_response_bytes: 512,
  release: 'reset' as 'reset' | 'leave',
  reconnect_initial_ms: 500,
  reconnect_max_ms: 5_000,
  removal_confirm_ms: 1_000,
};
/** While a card is there but cannot be connected (busy, mute), retry this often. */
const CONNECT_RETRY_MS = 100;

export function defaultPcscdSocketPath(): string {
  return process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
}

interface Context {
  readonly generation: number;
  readonly nfc: NFC;
  /** Every nfc-pcsc reader of this context, including filtered-out ones, to close on teardown. */
  readonly nfcReaders: Set<NfcReader>;
}

type OpenAttempt = { session: NfcPcscSession } | { busy: true } | { failed: string };

export class NfcPcscCardReader extends EventEmitter<CardReaderEvents> implements CardReader, SessionOwner {
  private readonly options: typeof DEFAULTS & { readerName?: string | RegExp; pcscd_socket_path: string };
  private readonly log: (message: string) => void;
  private context: Context | null = null;
  private generation = 0;
  private readonly slots = new Map<string, Slot>();
  private readonly changes = new ChangeWaiter();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs: number;
  private closed = false;

  constructor(options: NfcPcscReaderOptions = {}) {
    super();
    this.options = {
      max_response_bytes: options.max_response_bytes ?? DEFAULTS.max_response_bytes,
      release: options.release ?? DEFAULTS.release,
      reconnect_initial_ms: options.reconnect_initial_ms ?? DEFAULTS.reconnect_initial_ms,
      reconnect_max_ms: options.reconnect_max_ms ?? DEFAULTS.reconnect_max_ms,
      removal_confirm_ms: options.removal_confirm_ms ?? DEFAULTS.removal_confirm_ms,
      pcscd_socket_path: options.pcscd_socket_path ?? defaultPcscdSocketPath(),
      ...(options.readerName === undefined ? {} : { readerName: options.readerName }),
    };
    this.log = options.log ?? (() => {});
    this.reconnectDelayMs = this.options.reconnect_initial_ms;
    this.reconnectTimer = setTimeout(() => void this.openContext(), 0);
  }

  // -- CardReader ------------------------------------------------------------

  readers(): string[] {
    return [...this.slots.keys()];
  }

  status(reader?: string): ReaderStatus {
    const slot = reader === undefined ? this.firstSlotWithCard() ?? this.slots.values().next().value : this.slots.get(reader);
    if (!slot) return { status: 'no_reader' };
    if (!slot.atr) return { status: 'no_card', reader: slot.name };
    return { status: 'card_present', reader: slot.name, atr: slot.atr };
  }

  async waitForCard(opts: WaitForCardOptions): Promise<CardSession> {
    opts.signal?.throwIfAborted();
    if (this.closed) throw new ReaderError('waitForCard(): the card reader is closed');
    const deadline = Date.now() + opts.timeout_ms;
    for (;;) {
      // What stands in the way right now; reported if time runs out.
      let busyReader: string | null = null;
      let connectFailure: { reader: string; message: string } | null = null;
      const slot = this.pickSlot(opts.reader);
      if (slot?.atr && !slot.claimed) {
        const attempt = await this.openSession(slot);
        if ('session' in attempt) {
          if (!opts.signal?.aborted) return attempt.session;
          await attempt.session.release(); // aborted while connecting: nobody will use it
          opts.signal.throwIfAborted();
        } else if ('busy' in attempt) busyReader = slot.name;
        else connectFailure = { reader: slot.name, message: attempt.failed };
      } else if (slot?.atr) {
        busyReader = slot.name; // held by a session of this app: its release() wakes us
      }
      const retrySoon = connectFailure !== null || (busyReader !== null && !slot?.claimed);
      const remaining_ms = deadline - Date.now();
      if (remaining_ms <= 0) throw this.timeoutError(opts, busyReader, connectFailure);
      await this.nextChange(retrySoon ? Math.min(remaining_ms, CONNECT_RETRY_MS) : remaining_ms, opts.signal);
      if (this.closed) throw new ReaderError('waitForCard(): the card reader was closed while waiting');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const sessions = [...this.slots.values()].flatMap((slot) => (slot.session ? [slot.session] : []));
    await Promise.all(sessions.map((session) => session.release()));
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.teardown(null);
    this.notify();
  }

  // -- sessions ----------------------------------------------------------------

  /** First attached reader with a card no session of ours holds; else the named one. */
  private pickSlot(name: string | undefined): Slot | undefined {
    if (name !== undefined) return this.slots.get(name);
    let claimed: Slot | undefined;
    for (const slot of this.slots.values()) {
      if (!slot.atr) continue;
      if (!slot.claimed) return slot;
      claimed ??= slot;
    }
    return claimed;
  }

  private firstSlotWithCard(): Slot | undefined {
    for (const slot of this.slots.values()) if (slot.atr) return slot;
    return undefined;
  }

  private async openSession(slot: Slot): Promise<OpenAttempt> {
    const atr = slot.atr;
    if (!atr) return { failed: 'the card left' };
    slot.claimed = true;
    const raw = slot.nfc.reader;
    try {
      if (raw.connected) await disconnectRaw(raw, raw.SCARD_LEAVE_CARD).catch(() => {});
      const protocol = await connectRaw(raw, raw.SCARD_SHARE_EXCLUSIVE, raw.SCARD_PROTOCOL_T0 | raw.SCARD_PROTOCOL_T1);
      if (!this.isCurrent(slot) || this.closed) {
        await disconnectRaw(raw, raw.SCARD_LEAVE_CARD).catch(() => {});
        slot.claimed = false;
        return { failed: 'the reader went away while connecting' };
      }
      slot.nfc.connection = { type: raw.SCARD_SHARE_EXCLUSIVE, protocol };
      const session = new NfcPcscSession(this, slot, atr, this.options.max_response_bytes);
      slot.session = session;
      this.log(`pcsc: exclusive session opened on "${slot.name}" (protocol ${protocol})`);
      return { session };
    } catch (err) {
      slot.claimed = false;
      const code = pcscCode(err);
      if (code === SCARD.E_SHARING_VIOLATION) return { busy: true };
      const message = innermostMessage(err);
      this.log(`pcsc: could not connect to the card on "${slot.name}": ${message}`);
      return { failed: message };
    }
  }

  /** Called by a session's release(); never throws. */
  async endSession(slot: Slot, session: NfcPcscSession): Promise<void> {
    if (slot.session !== session) return;
    const raw = slot.nfc.reader;
    if (this.isCurrent(slot) && raw.connected) {
      const disposition = this.options.release === 'reset' ? raw.SCARD_RESET_CARD : raw.SCARD_LEAVE_CARD;
      await disconnectRaw(raw, disposition).catch((err: unknown) =>
        this.log(`pcsc: disconnect from "${slot.name}" failed (ignored): ${innermostMessage(err)}`),
      );
    }
    slot.nfc.connection = null;
    slot.session = null;
    slot.claimed = false;
    this.notify();
  }

  /** Turns a failed or answerless transmit into the error the caller should see. */
  async explainTransmitFailure(slot: Slot, failure: unknown, apdu: Buffer): Promise<ReaderError> {
    const code = pcscCode(failure);
    const detail = `${innermostMessage(failure)}; command ${describeApdu(apdu)}`;
    if (isPcscdGone(code) || slot.generation !== this.generation) {
      return new PcscdUnavailableError(`during a command on "${slot.name}": ${detail}`, { reader: slot.name, cause: failure });
    }
    if (isCardGone(code) || slot.atr === null || !this.isCurrent(slot)) {
      return new CardRemovedError(slot.name, detail, true, { cause: failure });
    }
    if (isReaderGone(code)) {
      return new CardRemovedError(slot.name, `the reader itself went away: ${detail}`, true, { cause: failure });
    }
    // Not conclusive yet: pcscd learns of a removal at its next poll. Wait for it.
    const deadline = Date.now() + this.options.removal_confirm_ms;
    while (this.isCurrent(slot) && slot.atr !== null && Date.now() < deadline) {
      await this.nextChange(deadline - Date.now());
    }
    if (slot.generation !== this.generation) {
      return new PcscdUnavailableError(`during a command on "${slot.name}": ${detail}`, { reader: slot.name, cause: failure });
    }
    if (slot.atr === null || !this.isCurrent(slot)) return new CardRemovedError(slot.name, detail, true, { cause: failure });
    return new ReaderError(
      `the card on "${slot.name}" did not answer properly (${detail}) though it is still on the reader: ` +
        'it may be badly placed or faulty; the command may or may not have taken effect',
      { reader: slot.name, cause: failure },
    );
  }

  private timeoutError(
    opts: WaitForCardOptions,
    busyReader: string | null,
    lastFailure: { reader: string; message: string } | null,
  ): ReaderError {
    if (opts.reader !== undefined && !this.slots.has(opts.reader)) {
      const attached = this.readers();
      return new NoReaderError(
        `named "${opts.reader}" (attached: ${attached.length ? attached.map((n) => `"${n}"`).join(', ') : 'none'})`,
      );
    }
    if (this.slots.size === 0) {
      return new NoReaderError(this.context ? '' : `(pcscd is not answering on ${this.options.pcscd_socket_path})`);
    }
    if (busyReader) return new CardInUseError(busyReader);
    if (lastFailure) {
      return new ReaderError(`a card is on "${lastFailure.reader}" but could not be connected: ${lastFailure.message}`, {
        reader: lastFailure.reader,
      });
    }
    return new NoCardError(opts.reader, opts.timeout_ms);
  }

  // -- the PC/SC context and its readers ------------------------------------------

  private async openContext(): Promise<void> {
    this.reconnectTimer = null;
    if (this.closed || this.context) return;
    if (!(await canConnect({ path: this.options.pcscd_socket_path }))) {
      this.scheduleReconnect(`pcscd is not answering on ${this.options.pcscd_socket_path}`);
      return;
    }
    if (this.closed || this.context) return;
    let nfc: NFC;
    try {
      nfc = new NFC(this.nfcLogger());
    } catch (err) {
      this.scheduleReconnect(`could not create a PC/SC context: ${innermostMessage(err)}`);
      return;
    }
    this.generation += 1;
    const context: Context = { generation: this.generation, nfc, nfcReaders: new Set() };
    this.context = context;
    this.log(`pcsc: context #${context.generation} created`);
    nfc.on('reader', (reader: NfcReader) => this.onReader(context, reader));
    nfc.on('error', (err: Error) => this.onContextFailure(context, innermostMessage(err)));
  }

  private onReader(context: Context, reader: NfcReader): void {
    context.nfcReaders.add(reader);
    // Listeners first: an 'error' without one would crash the process.
    reader.on('error', (err: Error) => this.onContextFailure(context, `reader "${reader.name}": ${innermostMessage(err)}`));
    reader.autoProcessing = false;
    reader.connect = () => Promise.resolve(null); // see the header: no idle SHARED handle
    if (context !== this.context) {
      setImmediate(() => safely(() => reader.close()));
      return;
    }
    if (!this.accepts(reader.name)) {
      this.log(`pcsc: ignoring reader "${reader.name}" (does not match ${String(this.options.readerName)})`);
      return;
    }
    const slot: Slot = { name: reader.name, nfc: reader, generation: context.generation, atr: null, claimed: false, session: null };
    this.slots.set(slot.name, slot);
    reader.on('card', (card: { atr?: Buffer }) => {
      if (!this.isCurrent(slot)) return;
      slot.atr = card.atr ?? Buffer.alloc(0);
      this.emit('card-arrived', { reader: slot.name, atr: slot.atr });
      this.notify();
    });
    reader.on('card.off', () => {
      if (!this.isCurrent(slot) || slot.atr === null) return;
      slot.atr = null;
      if (slot.session) {
        // The session is over; the reader is free for the card's return even if
        // nobody calls release() (nfc-pcsc itself disconnects the dead handle).
        slot.session.cardLeft();
        slot.session = null;
        slot.claimed = false;
      }
      this.emit('card-removed', { reader: slot.name });
      this.notify();
    });
    // Deferred: when pcscd dies, the reader's 'error' (which tears the context down,
    // also deferred) comes just before its 'end'; pcscd's loss must win over "unplugged".
    reader.on('end', () => setImmediate(() => this.onReaderEnd(slot)));
    this.reconnectDelayMs = this.options.reconnect_initial_ms;
    this.log(`pcsc: reader attached: "${slot.name}"`);
    this.emit('reader-attached', slot.name);
    this.notify();
  }

  private onReaderEnd(slot: Slot): void {
    if (!this.isCurrent(slot)) return;
    this.slots.delete(slot.name);
    this.forgetSlot(slot, null);
    this.notify();
  }

  /** Emits what leaving means for a slot already taken out of `slots`. */
  private forgetSlot(slot: Slot, reason: ReaderError | null): void {
    if (slot.atr) {
      slot.atr = null;
      this.emit('card-removed', { reader: slot.name });
    }
    slot.session?.readerLost(reason ?? new CardRemovedError(slot.name, 'the reader was unplugged', true));
    this.log(`pcsc: reader detached: "${slot.name}"`);
    this.emit('reader-detached', slot.name);
  }

  private onContextFailure(context: Context, detail: string): void {
    if (context !== this.context) return; // a context we already closed, reporting its own end
    setImmediate(() => {
      if (context !== this.context) return;
      const error = new PcscdUnavailableError(detail);
      this.log(`pcsc: ${error.message}`);
      this.teardown(error);
      this.emitError(error);
      this.scheduleReconnect(detail);
    });
  }

  /** Closes the current context. Must not run inside a native callback. */
  private teardown(reason: ReaderError | null): void {
    const context = this.context;
    if (!context) return;
    this.context = null;
    this.generation += 1; // anything still arriving from the old context is now stale
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots) this.forgetSlot(slot, reason ?? new SessionClosedError(slot.name, 'the card reader was closed'));
    for (const reader of context.nfcReaders) safely(() => reader.close());
    safely(() => context.nfc.close());
    this.notify();
  }

  private scheduleReconnect(why: string): void {
    if (this.closed || this.reconnectTimer) return;
    const delay_ms = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.reconnect_max_ms);
    this.log(`pcsc: ${why}; trying again in ${delay_ms} ms`);
    this.reconnectTimer = setTimeout(() => void this.openContext(), delay_ms);
  }

  // -- small helpers -------------------------------------------------------------

  private isCurrent(slot: Slot): boolean {
    return this.slots.get(slot.name) === slot;
  }

  private accepts(name: string): boolean {
    const filter = this.options.readerName;
    if (filter === undefined) return true;
    if (typeof filter === 'string') return name.toLowerCase().includes(filter.toLowerCase());
    return filter.test(name);
  }

  private emitError(error: ReaderError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private notify(): void {
    this.changes.notify();
  }

  private nextChange(timeout_ms: number, signal?: AbortSignal): Promise<void> {
    return this.changes.next(timeout_ms, signal);
  }

  private nfcLogger(): Logger {
    const forward = (...args: unknown[]) => this.log(`nfc-pcsc: ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}`);
    const quiet = () => {};
    return { log: quiet, debug: quiet, info: quiet, warn: forward, error: forward };
  }
}
