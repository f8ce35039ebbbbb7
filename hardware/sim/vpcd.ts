// The card side of the vsmartcard "vpcd" protocol: puts an ApduHandler into a
// real pcscd, so nfc-pcsc -> pcscd -> card runs exactly as with a reader.
//
// vpcd is a pcscd reader driver that listens on TCP (35963 for "Virtual PCD 00 00",
// 35964 for "Virtual PCD 00 01"); the virtual card connects to it as a client.
// A connected client is a card in the field; closing the connection takes it out.
// Every message, both ways, is a 2-byte big-endian length then the payload.
// From vpcd, a 1-byte payload is a control code; anything longer is a C-APDU,
// answered with exactly one R-APDU. vpcd asks for the ATR at every presence
// poll (about every 400 ms), so ATR requests are frequent and not counted as APDUs.
//
// Test affordances (as serialport's MockBinding has): tearAt() drops the field at
// a chosen APDU, before it runs or after the card has run it but before the
// answer leaves; apduCount and the 'apdu' event count traffic for benchmarks.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { ApduHandler } from './apdu-handler';

export const VPCD_DEFAULT_PORT = 35963;

/** Control codes vpcd sends as 1-byte payloads. */
export const VPCD_CONTROL = {
  POWER_OFF: 0x00,
  POWER_ON: 0x01,
  RESET: 0x02,
  GET_ATR: 0x04,
} as const;

const FRAME_LENGTH_MAX = 0xffff;
/** Answer when the handler throws or answers something unframeable: "no precise diagnosis". */
const SW_NO_PRECISE_DIAGNOSIS = Buffer.from([0x6f, 0x00]);

/** One length-prefixed vpcd message. Throws when the payload cannot be framed. */
export function encodeVpcdFrame(payload: Uint8Array): Buffer {
  if (payload.length > FRAME_LENGTH_MAX) {
    throw new RangeError(`a vpcd frame carries at most ${FRAME_LENGTH_MAX} bytes, got ${payload.length}`);
  }
  const frame = Buffer.alloc(2 + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  frame.set(payload, 2);
  return frame;
}

/**
 * Reassembles vpcd frames from TCP chunks, which may split a frame anywhere
 * (even inside the length) or carry several frames at once. Pure: no I/O.
 */
export class VpcdFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds one chunk; returns every frame payload it completes, in order. */
  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const payloads: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 2) {
      const length = this.pending.readUInt16BE(offset);
      if (this.pending.length - offset - 2 < length) break;
      payloads.push(Buffer.from(this.pending.subarray(offset + 2, offset + 2 + length)));
      offset += 2 + length;
    }
    this.pending = Buffer.from(this.pending.subarray(offset));
    return payloads;
  }

  /** Bytes received that do not yet make a whole frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

export type TearPlan = {
  /** Counted from when the plan is set: 1 = the next C-APDU. */
  apdu: number;
  /** 'before': the card never sees the APDU. 'after': the card runs it, the answer is lost. */
  when: 'before' | 'after';
};

export type CardPresence = 'removed' | 'inserting' | 'inserted';

export interface TornEvent {
  when: 'before' | 'after';
  /** Position of the torn APDU in apduCount numbering (1-based, since construction). */
  apdu_number: number;
  command: Buffer;
  /** The answer the card produced but never delivered ('after' only). */
  lost_response?: Buffer;
}

export interface ApduEvent {
  apdu_number: number;
  command: Buffer;
  response: Buffer;
}

export type VirtualCardEvents = {
  /** TCP connection to vpcd established: the card is in the field. */
  inserted: [];
  /** remove() or a tear took the card out. */
  removed: [];
  /** vpcd closed the connection (pcscd stopped or crashed). */
  disconnected: [reason: string];
  torn: [TornEvent];
  apdu: [ApduEvent];
  control: [code: number];
};

export interface VirtualCardInserterOptions {
  host?: string;
  port?: number;
  handler: ApduHandler;
  log?: (message: string) => void;
  /**
   * When vpcd goes away (pcscd restart), keep reconnecting so the card comes
   * back by itself once pcscd is up again. Not applied after remove() or a tear.
   */
  reinsertOnDisconnect?: boolean;
  reinsert_interval_ms?: number;
  /**
   * vpcd notices that a card has gone only at pcscd's next presence poll (every
   * ~410 ms). A card put back sooner looks to pcscd as if it never left, and its
   * first command fails on vpcd's stale connection (SCARD_E_NOT_TRANSACTED). So
   * insert() after remove() or a tear first waits until the card has been out
   * this long, as a real card has to be to be seen leaving. Default 450.
   */
  min_absent_ms?: number;
}

/**
 * Presents one simulated card on one vpcd reader slot.
 *
 * Contract: insert() resolves once the TCP connection is up (pcscd notices the
 * card at its next presence poll, a few hundred ms later) and rejects with a
 * plain-English error if nothing listens on the port. remove() resolves once the
 * connection is closed. The handler is powered off whenever the card leaves the
 * field, however it leaves.
 */
export class VirtualCardInserter extends EventEmitter<VirtualCardEvents> {
  readonly host: string;
  readonly port: number;
  readonly handler: ApduHandler;
  private readonly log: (message: string) => void;
  private readonly reinsertOnDisconnect: boolean;
  private readonly reinsertIntervalMs: number;
  private readonly minAbsentMs: number;
  /** When we last took the card out of the field ourselves (remove() or a tear). */
  private removedAtMs = 0;

  private socket: net.Socket | null = null;
  private pendingSocket: net.Socket | null = null;
  private connecting: Promise<void> | null = null;
  private readonly decoder = new VpcdFrameDecoder();
  private presenceState: CardPresence = 'removed';
  private tearPlan: { remaining: number; when: 'before' | 'after' } | null = null;
  private reinsertTimer: NodeJS.Timeout | null = null;
  /** True from a vpcd disconnect (with reinsertOnDisconnect) until reconnected, remove() or insert(). */
  private reinserting = false;
  private apdusSeen = 0;

  constructor(options: VirtualCardInserterOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.handler = options.handler;
    this.log = options.log ?? (() => {});
    this.reinsertOnDisconnect = options.reinsertOnDisconnect ?? false;
    this.reinsertIntervalMs = options.reinsert_interval_ms ?? 200;
    this.minAbsentMs = options.min_absent_ms ?? 450;
  }

  /** C-APDUs received since construction (ATR requests and control codes excluded). */
  get apduCount(): number {
    return this.apdusSeen;
  }

  get presence(): CardPresence {
    return this.presenceState;
  }

  async insert(): Promise<void> {
    this.cancelReinsert();
    if (this.presenceState === 'inserted') return;
    const absentFor_ms = Date.now() - this.removedAtMs;
    if (absentFor_ms < this.minAbsentMs) {
      await new Promise((r) => setTimeout(r, this.minAbsentMs - absentFor_ms));
      if ((this.presenceState as CardPresence) === 'inserted') return; // a reinsert won the race
    }
    if (this.connecting) {
      try {
        await this.connecting;
        return;
      } catch {
        // the attempt already under way failed: try once more ourselves
      }
    }
    await this.connect();
  }

  async remove(): Promise<void> {
    this.cancelReinsert();
    this.pendingSocket?.destroy();
    const socket = this.socket;
    if (!socket) {
      this.presenceState = 'removed';
      return;
    }
    await this.dropField(socket);
    this.emit('removed');
  }

  /** Arms (or with null, disarms) a tear at the n-th C-APDU from now. */
  tearAt(plan: TearPlan | null): void {
    if (plan === null) {
      this.tearPlan = null;
      return;
    }
    if (!Number.isInteger(plan.apdu) || plan.apdu < 1) {
      throw new RangeError(`tearAt: apdu must be an integer >= 1 (1 = the next APDU), got ${plan.apdu}`);
    }
    this.tearPlan = { remaining: plan.apdu, when: plan.when };
  }

  private connect(): Promise<void> {
    this.presenceState = 'inserting';
    const attempt = new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.pendingSocket = socket;
      socket.setNoDelay(true);
      const fail = (reason: string, cause?: Error) => {
        socket.off('connect', onConnect);
        socket.off('close', onCloseEarly);
        socket.destroy();
        if (this.pendingSocket === socket) this.pendingSocket = null;
        this.presenceState = 'removed';
        reject(new Error(reason, { cause }));
      };
      const onConnectError = (err: NodeJS.ErrnoException) =>
        fail(
          `virtual card could not reach vpcd at ${this.host}:${this.port} (${err.code ?? err.message}): ` +
            'is pcscd running with the vsmartcard vpcd driver (/etc/reader.conf.d/vpcd)?',
          err,
        );
      const onCloseEarly = () => fail('insert() was cancelled by remove() before vpcd answered');
      const onConnect = () => {
        socket.off('error', onConnectError);
        socket.off('close', onCloseEarly);
        this.pendingSocket = null;
        this.socket = socket;
        this.presenceState = 'inserted';
        this.decoder.reset();
        socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
        socket.on('error', (err) => this.log(`vpcd ${this.port}: socket error: ${err.message}`));
        socket.on('close', () => this.onPeerClosed(socket));
        this.log(`vpcd ${this.port}: card inserted`);
        this.emit('inserted');
        resolve();
      };
      socket.once('error', onConnectError);
      socket.once('close', onCloseEarly);
      socket.once('connect', onConnect);
    });
    this.connecting = attempt;
    const clear = () => {
      if (this.connecting === attempt) this.connecting = null;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    for (const payload of this.decoder.push(chunk)) {
      // A tear or remove() in an earlier frame of this chunk ends the conversation.
      if (this.socket !== socket) return;
      if (payload.length === 0) {
        this.log(`vpcd ${this.port}: ignoring empty frame`);
      } else if (payload.length === 1) {
        this.onControl(socket, payload[0]!);
      } else {
        this.onApdu(socket, payload);
      }
    }
  }

  private onControl(socket: net.Socket, code: number): void {
    this.emit('control', code);
    switch (code) {
      case VPCD_CONTROL.POWER_OFF:
        this.handler.powerOff();
        return;
      case VPCD_CONTROL.POWER_ON:
        this.handler.powerOn();
        return;
      case VPCD_CONTROL.RESET:
        this.handler.powerOff();
        this.handler.powerOn();
        return;
      case VPCD_CONTROL.GET_ATR:
        socket.write(encodeVpcdFrame(this.handler.atr));
        return;
      default:
        this.log(`vpcd ${this.port}: ignoring unknown control code 0x${code.toString(16).padStart(2, '0')}`);
    }
  }

  private onApdu(socket: net.Socket, command: Buffer): void {
    this.apdusSeen += 1;
    const apduNumber = this.apdusSeen;
    const plan = this.tearPlan;
    if (plan) plan.remaining -= 1;
    if (plan && plan.remaining === 0) {
      this.tearPlan = null;
      let lostResponse: Buffer | undefined;
      if (plan.when === 'after') lostResponse = this.runHandler(command);
      this.log(`vpcd ${this.port}: tearing the field ${plan.when} APDU #${apduNumber}`);
      void this.dropField(socket).then(() => {
        const event: TornEvent = { when: plan.when, apdu_number: apduNumber, command };
        if (lostResponse) event.lost_response = lostResponse;
        this.emit('torn', event);
      });
      return;
    }
    const response = this.runHandler(command);
    socket.write(encodeVpcdFrame(response));
    this.emit('apdu', { apdu_number: apduNumber, command, response });
  }

  private runHandler(command: Buffer): Buffer {
    try {
      const response = this.handler.transmit(command);
      if (response.length < 2 || response.length > FRAME_LENGTH_MAX) {
        this.log(`vpcd ${this.port}: handler answered ${response.length} bytes; sending 6F00 instead`);
        return SW_NO_PRECISE_DIAGNOSIS;
      }
      return response;
    } catch (err) {
      this.log(`vpcd ${this.port}: handler threw on ${command.toString('hex')}: ${(err as Error).message}; sending 6F00`);
      return SW_NO_PRECISE_DIAGNOSIS;
    }
  }

  /** Takes the card out of the field ourselves: no 'disconnected', no auto-reinsert. */
  private dropField(socket: net.Socket): Promise<void> {
    this.removedAtMs = Date.now();
    this.socket = null;
    this.presenceState = 'removed';
    this.decoder.reset();
    this.handler.powerOff();
    return new Promise<void>((resolve) => {
      if (socket.destroyed && socket.closed) return resolve();
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private onPeerClosed(socket: net.Socket): void {
    if (this.socket !== socket) return; // we closed it: remove() or a tear
    this.socket = null;
    this.presenceState = 'removed';
    this.decoder.reset();
    this.handler.powerOff();
    this.log(`vpcd ${this.port}: connection closed by vpcd (pcscd stopped?)`);
    this.emit('disconnected', 'vpcd closed the connection');
    if (this.reinsertOnDisconnect) {
      this.reinserting = true;
      this.scheduleReinsert();
    }
  }

  private scheduleReinsert(): void {
    if (this.reinsertTimer) clearTimeout(this.reinsertTimer);
    this.reinsertTimer = setTimeout(() => {
      this.reinsertTimer = null;
      if (!this.reinserting || this.presenceState !== 'removed') return;
      this.connect().then(
        () => {
          this.reinserting = false;
        },
        () => {
          if (this.reinserting) this.scheduleReinsert();
        },
      );
    }, this.reinsertIntervalMs);
  }

  private cancelReinsert(): void {
    this.reinserting = false;
    if (this.reinsertTimer) clearTimeout(this.reinsertTimer);
    this.reinsertTimer = null;
  }
}
