import { randomBytes } from 'node:crypto';
import { unwrapNative, wrapResponse } from '../../../src/card/apdu';
import { STATUS } from '../../../src/card/status';
import type { ApduHandler } from '../apdu-handler';
import type { CardContext } from './commands/context';
import { NATIVE_COMMANDS } from './commands/index';
import { beginAuth, finishAuth, openCommand, sealResponse, type AuthKind, type CardSession, type PendingAuth } from './session';
import { cloneCardState, type CardState, type KeyState } from './state';
import { PendingTransaction } from './transaction';

// A DESFire EV2-class card: ISO 7816-4 wrapped native commands in, answers
// out, synchronously, with EV2 authentication and secure messaging.
//
// Volatile (lost at power-off): selected application, secure session, the
// open transaction, a half-done authentication or answer chain.
// Committed (this.committed, handed to onPersist after every change): the rest.
//
// Any error answer ends the secure session and drops the open transaction, as
// on a real EV2: the reader must authenticate again.

export interface DesfireSimOptions {
  state: CardState;
  /** Answer anticollision (FF CA) with a fresh random 4-byte UID at every power-on. */
  randomUid?: boolean;
  random?: (bytes: number) => Buffer;
  /** Called with a copy of the committed state after every change to it, before the answer is returned. */
  onPersist?: (state: CardState) => void;
}

const ATR = Buffer.from('3B8180018080', 'hex');
const CLA_NATIVE = 0x90;
const CLA_ISO = 0x00;
const CLA_PCSC = 0xff;
const INS_GET_DATA = 0xca;
const CMD_AUTH_FIRST = 0x71;
const CMD_AUTH_NON_FIRST = 0x77;
const CMD_ADDITIONAL_FRAME = 0xaf;
/** Longest data field of one answer frame; longer answers are chained with 91AF. */
export const FRAME_DATA_BYTES = 240;
const COUNTER_LIMIT = 0xffff;

const isoStatus = (sw: number) => Buffer.from([sw >> 8, sw & 0xff]);

interface AnswerChain {
  frames: Buffer[];
  status: number;
}

export class DesfireSim implements ApduHandler {
  readonly atr: Buffer = Buffer.from(ATR);
  private committed: CardState;
  private readonly uid: Buffer;
  private readonly randomUid: boolean;
  private readonly random: (bytes: number) => Buffer;
  private readonly onPersist: ((state: CardState) => void) | undefined;

  private powered = false;
  private anticollisionUid: Buffer;
  private selected: string | null = null;
  private session: CardSession | null = null;
  private pendingAuth: PendingAuth | null = null;
  private chain: AnswerChain | null = null;
  private readonly tx = new PendingTransaction();

  constructor(opts: DesfireSimOptions) {
    this.committed = cloneCardState(opts.state);
    this.uid = Buffer.from(this.committed.uidHex, 'hex');
    this.randomUid = opts.randomUid === true;
    this.random = opts.random ?? randomBytes;
    this.onPersist = opts.onPersist;
    this.anticollisionUid = this.uid;
  }

  /** The committed state (a copy). */
  get state(): CardState {
    return cloneCardState(this.committed);
  }

  /** Field on (or a reset): a new session, PICC level, nothing pending. */
  powerOn(): void {
    this.resetVolatile();
    this.powered = true;
    this.anticollisionUid = this.hidesUid ? Buffer.concat([Buffer.from([0x08]), this.random(3)]) : this.uid;
  }

  /** Random ID: set on the card (SetConfiguration), or forced by the simulator's option. */
  private get hidesUid(): boolean {
    return this.randomUid || this.committed.randomUid === true;
  }

  /** Field off: everything not committed is lost. */
  powerOff(): void {
    this.resetVolatile();
    this.powered = false;
  }

  transmit(apdu: Buffer): Buffer {
    if (!this.powered) throw new Error('DesfireSim.transmit: the card is not powered; call powerOn() first');
    if (apdu.length < 4) return isoStatus(0x6700);
    if (apdu[0] === CLA_PCSC) return this.readerCommand(apdu);
    if (apdu[0] === CLA_ISO) return this.isoCommand(apdu);
    if (apdu[0] !== CLA_NATIVE) return isoStatus(0x6e00);
    const command = unwrapNative(apdu);
    if (!command) return isoStatus(0x6700);
    return this.native(command.code, command.data);
  }

  /**
   * ISO/IEC 7816-4 commands a reader may try without keys. No application of
   * this card has an ISO DF name or ISO file ids, so SELECT finds nothing and
   * READ BINARY has no file; GET CHALLENGE answers fresh random bytes.
   */
  private isoCommand(apdu: Buffer): Buffer {
    switch (apdu[1]) {
      case 0xa4:
        return isoStatus(0x6a82);
      case 0xb0:
      case 0xb2:
        return isoStatus(0x6986);
      case 0x84:
        return Buffer.concat([this.random(8), isoStatus(0x9000)]);
      default:
        return isoStatus(0x6d00);
    }
  }

  /** PC/SC pseudo-APDU FF CA 00 00 00: the UID the reader saw at anticollision. */
  private readerCommand(apdu: Buffer): Buffer {
    if (apdu[1] !== INS_GET_DATA) return isoStatus(0x6d00);
    if (apdu[2] !== 0x00 || apdu[3] !== 0x00) return isoStatus(0x6b00);
    return Buffer.concat([this.anticollisionUid, isoStatus(0x9000)]);
  }

  private native(code: number, data: Buffer): Buffer {
    const chain = this.chain;
    const pendingAuth = this.pendingAuth;
    this.chain = null;
    this.pendingAuth = null;

    if (code === CMD_ADDITIONAL_FRAME) {
      if (pendingAuth) return this.finishAuthentication(pendingAuth, data);
      if (chain) return data.length === 0 ? this.nextFrame(chain) : this.fail(STATUS.LENGTH_ERROR);
      return this.fail(STATUS.ILLEGAL_COMMAND);
    }
    if (code === CMD_AUTH_FIRST) return this.beginAuthentication('first', data);
    if (code === CMD_AUTH_NON_FIRST) return this.beginAuthentication('nonFirst', data);

    const handler = NATIVE_COMMANDS.get(code);
    if (!handler) return this.fail(STATUS.ILLEGAL_COMMAND);
    if (this.session && this.session.counter >= COUNTER_LIMIT) return this.fail(STATUS.COMMAND_ABORTED);

    const ctx = this.context();
    const plan = handler.plan(ctx, data);
    if (typeof plan === 'number') return this.fail(plan);
    const opened = openCommand(this.session, plan.mode, code, data, plan.headerBytes);
    if (typeof opened === 'number') return this.fail(opened);

    const before = handler.writes ? cloneCardState(this.committed) : null;
    const reply = handler.run(ctx, opened);
    if (reply.status !== STATUS.OPERATION_OK) {
      if (before) this.committed = before; // handlers check before they change, but never leave half a change
      return this.fail(reply.status);
    }
    if (reply.changed && !this.persist(before)) return this.fail(STATUS.EEPROM_ERROR);
    if (reply.endsSession) {
      this.endSession();
      return wrapResponse(STATUS.OPERATION_OK);
    }

    const session = this.session; // SelectApplication has ended it
    if (session) session.counter += 1;
    const answer = sealResponse(session, plan.mode, STATUS.OPERATION_OK, reply.data ?? Buffer.alloc(0));
    return this.answer(answer, STATUS.OPERATION_OK, reply.frameSizes ?? []);
  }

  private context(): CardContext {
    return {
      state: this.committed,
      aid: this.selected,
      app: this.selected === null ? null : (this.committed.applications[this.selected] ?? null),
      authKeyNo: this.session?.keyNo ?? null,
      uid: this.uid,
      randomUid: this.hidesUid,
      tx: this.tx,
      random: this.random,
      select: (aid) => {
        this.endSession();
        this.selected = aid;
      },
    };
  }

  // ---- authentication ----

  private beginAuthentication(kind: AuthKind, data: Buffer): Buffer {
    // Any authentication attempt ends the session and the transaction, whatever its outcome.
    const previous = this.session;
    this.endSession();
    const lengthOk = kind === 'first' ? data.length >= 2 && data.length === 2 + data[1]! : data.length === 1;
    if (!lengthOk) return this.fail(STATUS.LENGTH_ERROR);
    if (kind === 'nonFirst' && !previous) return this.fail(STATUS.AUTHENTICATION_ERROR);
    const keyNo = data[0]!;
    const slot = this.keySlot(keyNo);
    if (!slot) return this.fail(STATUS.NO_SUCH_KEY);
    const { pending, answer } = beginAuth(kind, keyNo, Buffer.from(slot.keyHex, 'hex'), previous, this.random);
    this.pendingAuth = pending;
    return wrapResponse(STATUS.ADDITIONAL_FRAME, answer);
  }

  private finishAuthentication(pending: PendingAuth, data: Buffer): Buffer {
    const result = finishAuth(pending, data, this.random);
    if (typeof result === 'number') return this.fail(result);
    this.session = result.session;
    return wrapResponse(STATUS.OPERATION_OK, result.answer);
  }

  private keySlot(keyNo: number): KeyState | undefined {
    if (this.selected === null) return keyNo === 0 ? this.committed.piccKey : undefined;
    return this.committed.applications[this.selected]?.keys[keyNo];
  }

  // ---- answers ----

  /** Splits an answer into frames: `leading` sizes first, then FRAME_DATA_BYTES at most each. */
  private answer(data: Buffer, status: number, leading: number[]): Buffer {
    const frames: Buffer[] = [];
    let at = 0;
    for (const size of leading) {
      if (at >= data.length) break;
      frames.push(data.subarray(at, at + size));
      at += size;
    }
    while (at < data.length) {
      frames.push(data.subarray(at, at + FRAME_DATA_BYTES));
      at += FRAME_DATA_BYTES;
    }
    if (frames.length === 0) frames.push(Buffer.alloc(0));
    return this.nextFrame({ frames, status });
  }

  private nextFrame(chain: AnswerChain): Buffer {
    const frame = chain.frames.shift()!;
    if (chain.frames.length === 0) return wrapResponse(chain.status, frame);
    this.chain = chain;
    return wrapResponse(STATUS.ADDITIONAL_FRAME, frame);
  }

  private fail(status: number): Buffer {
    this.endSession();
    return wrapResponse(status);
  }

  // ---- state ----

  /** Hands the new committed state out; on failure restores `before` and says so. */
  private persist(before: CardState | null): boolean {
    if (!this.onPersist) return true;
    try {
      this.onPersist(cloneCardState(this.committed));
      return true;
    } catch {
      if (before) this.committed = before;
      return false;
    }
  }

  private endSession(): void {
    this.session = null;
    this.pendingAuth = null;
    this.tx.clear();
  }

  private resetVolatile(): void {
    this.endSession();
    this.chain = null;
    this.selected = null;
  }
}
