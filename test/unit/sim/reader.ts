import { parseResponse, wrapNative } from '../../../src/card/apdu';
import { jamCrc32 as hostJamCrc32, le24, le32 } from '../../../src/card/desfire';
import { authStep1Data, authStep2, authStep3, type AuthKind } from '../../../src/card/ev2/auth';
import { openResponse, protectCommand, type CommMode, type SecureSession } from '../../../src/card/ev2/messaging';
import { STATUS } from '../../../src/card/status';
import { blankCardState, DesfireSim, type CardState, type DesfireSimOptions } from '../../../hardware/sim/desfire';

export { le24, le32 };

// A reader for the simulator tests: raw APDUs, built and checked with the same
// src/card/ev2 helpers the real host uses, with the session state in the open
// so tests can look at (and tamper with) TI and CmdCtr. Not a test file itself.

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
export const ZERO_KEY = Buffer.alloc(16);
export const { OPERATION_OK: OK } = STATUS;

export const CMD = {
  SELECT: 0x5a, GET_VERSION: 0x60, GET_CARD_UID: 0x51, CREATE_APP: 0xca, CHANGE_KEY: 0xc4,
  CREATE_VALUE: 0xcc, CREATE_CYCLIC: 0xc0, CREATE_STD: 0xcd, CREATE_TMAC: 0xce,
  READ_DATA: 0xbd, WRITE_DATA: 0x3d, GET_VALUE: 0x6c, CREDIT: 0x0c, DEBIT: 0xdc, LIMITED_CREDIT: 0x1c,
  WRITE_RECORD: 0x8b, READ_RECORDS: 0xbb, COMMIT: 0xc7, ABORT: 0xa7,
} as const;

export interface Answer {
  status: number;
  /** Plain answer data (MAC checked, decrypted), or the raw frames' data when not OK. */
  data: Buffer;
  /** Number of answer frames (1 when not chained). */
  frames: number;
}

export interface CommandOptions {
  header?: Buffer;
  payload?: Buffer;
  mode?: CommMode;
  responseMode?: CommMode;
}


export class TestReader {
  session: SecureSession | null = null;
  /** Every C-APDU sent, upper-case hex, for exact-byte assertions. */
  readonly sent: string[] = [];

  constructor(readonly sim: DesfireSim) {}

  /** One APDU, one answer, nothing interpreted. */
  raw(apdu: Buffer | string): Buffer {
    const bytes = typeof apdu === 'string' ? hex(apdu) : apdu;
    this.sent.push(bytes.toString('hex').toUpperCase());
    return this.sim.transmit(bytes);
  }

  /** A native exchange: follows 91AF chains; returns the status and the concatenated data. */
  exchange(code: number, data: Buffer = Buffer.alloc(0)): Answer {
    let answer = nativeAnswer(this.raw(wrapNative(code, data)));
    const chunks = [answer.data];
    let frames = 1;
    while (answer.status === STATUS.ADDITIONAL_FRAME && code !== 0x71 && code !== 0x77) {
      answer = nativeAnswer(this.raw(wrapNative(0xaf)));
      chunks.push(answer.data);
      frames++;
      if (frames > 64) throw new Error('endless chain');
    }
    return { status: answer.status, data: Buffer.concat(chunks), frames };
  }

  /** A command as the host sends it; keeps CmdCtr in step and forgets the session on any error. */
  command(code: number, opts: CommandOptions = {}): Answer {
    const mode = opts.mode ?? 'plain';
    const session = this.session;
    const answer = this.exchange(code, protectCommand(session, mode, code, opts.header ?? Buffer.alloc(0), opts.payload ?? Buffer.alloc(0)));
    if (answer.status !== OK) {
      this.session = null;
      return answer;
    }
    if (!session) return answer;
    session.counter += 1;
    return { ...answer, data: openResponse(session, opts.responseMode ?? mode, answer.status, answer.data, session.counter) };
  }

  /** Like command() but expects OK and returns the data. */
  ok(code: number, opts: CommandOptions = {}): Buffer {
    const answer = this.command(code, opts);
    if (answer.status !== OK) throw new Error(`command ${code.toString(16)} answered 91${answer.status.toString(16).padStart(2, '0').toUpperCase()}`);
    return answer.data;
  }

  select(aidHex: string): number {
    this.session = null;
    return this.command(CMD.SELECT, { payload: hex(aidHex) }).status;
  }

  /** Returns the final status; on OK the session is set up as the host would. */
  authenticate(keyNo: number, key: Buffer, kind: AuthKind = 'first', rndA: Buffer = hex('00112233445566778899AABBCCDDEEFF')): number {
    const previous = this.session;
    this.session = null;
    const first = this.exchange(kind === 'first' ? 0x71 : 0x77, authStep1Data(kind, keyNo));
    if (first.status !== STATUS.ADDITIONAL_FRAME) return first.status;
    const step2 = authStep2(key, first.data, rndA);
    const second = this.exchange(0xaf, step2.data);
    if (second.status !== OK) return second.status;
    const result = authStep3(kind, key, second.data, rndA, step2.rndB);
    this.session = { keys: result.keys, ti: result.ti ?? previous!.ti, counter: kind === 'first' ? 0 : previous!.counter, keyNo };
    return OK;
  }

  /** Mode for commands not tied to a file: MAC while authenticated. */
  get sessionMode(): CommMode {
    return this.session ? 'mac' : 'plain';
  }
}

function nativeAnswer(rapdu: Buffer): { status: number; data: Buffer } {
  const parsed = parseResponse(rapdu);
  if (!('status' in parsed)) throw new Error(`ISO status ${parsed.iso.toString(16)}`);
  return parsed;
}

/** Reader-side ChangeKey plain payload for a key other than the authenticated one. */
export function changeOtherKeyPayload(newKey: Buffer, oldKey: Buffer, version: number, crc: number): Buffer {
  const x = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) x[i] = newKey[i]! ^ oldKey[i]!;
  const c = Buffer.alloc(4);
  c.writeUInt32LE(crc >>> 0);
  return Buffer.concat([x, Buffer.from([version]), c]);
}

// ---- a standard personalised test card -------------------------------------

export const APP = 'C3B2A1';
export const K = { master: 0, debit: 1, credit: 2, read: 3 } as const;
export const KEYS = {
  master: hex('10101010101010101010101010101010'),
  debit: hex('11111111111111111111111111111111'),
  credit: hex('22222222222222222222222222222222'),
  read: hex('33333333333333333333333333333333'),
  tmac: hex('44444444444444444444444444444444'),
};
export const FILE = { identity: 0, purse: 1, history: 2, tmac: 3, big: 4 } as const;
export const UID = hex('04A1B2C3D4E5F6');
export const RECORD_BYTES = 16;
/** Created with MaxRecords 4: one slot is the transaction's, so 3 records are held. */
export const HISTORY_MAX_RECORDS = 4;

/** Access rights bytes: RW|Change, Read|Write. */
export function access(read: number, write: number, readWrite: number, change: number): Buffer {
  return Buffer.from([(readWrite << 4) | change, (read << 4) | write]);
}

/**
 * Builds the test application through APDUs only:
 *   0 identity: std data 32 bytes, plain, read free, write K0
 *   1 purse: value, MAC, read K1, write K1, RW K2; limits 0..10000, value 1000, LimitedCredit on
 *   2 history: cyclic 16 × 4, Full, read K3, write K2, RW K1
 *   3 TMAC: plain, read K3
 *   4 big: std data 600 bytes, Full, read K1, write K0
 * Keys K1..K3 changed to KEYS.*, K0 to KEYS.master last (which ends the session).
 */
export function personalise(r: TestReader): void {
  expectOk(r.select('000000'));
  r.ok(CMD.CREATE_APP, { payload: Buffer.concat([hex(APP), Buffer.from([0x0f, 0x85])]) }); // 5 AES keys
  expectOk(r.select(APP));
  expectOk(r.authenticate(K.master, ZERO_KEY));
  const mac = 'mac' as const;
  r.ok(CMD.CREATE_STD, { header: Buffer.concat([Buffer.from([FILE.identity, 0x00]), access(0xe, 0, 0, 0), le24(32)]), mode: mac });
  r.ok(CMD.CREATE_VALUE, {
    header: Buffer.concat([Buffer.from([FILE.purse, 0x01]), access(K.debit, K.debit, K.credit, 0), le32(0), le32(10_000), le32(1_000), Buffer.from([0x01])]),
    mode: mac,
  });
  r.ok(CMD.CREATE_CYCLIC, { header: Buffer.concat([Buffer.from([FILE.history, 0x03]), access(K.read, K.credit, K.debit, 0), le24(RECORD_BYTES), le24(HISTORY_MAX_RECORDS)]), mode: mac });
  r.ok(CMD.CREATE_TMAC, { header: Buffer.concat([Buffer.from([FILE.tmac, 0x00]), access(K.read, 0xf, 0, 0)]), payload: Buffer.concat([Buffer.from([0x02]), KEYS.tmac, Buffer.from([0x01])]), mode: 'full', responseMode: mac });
  r.ok(CMD.CREATE_STD, { header: Buffer.concat([Buffer.from([FILE.big, 0x03]), access(K.debit, 0, 0, 0), le24(600)]), mode: mac });
  for (const [no, key] of [[K.debit, KEYS.debit], [K.credit, KEYS.credit], [K.read, KEYS.read]] as const) {
    r.ok(CMD.CHANGE_KEY, { header: Buffer.from([no]), payload: changeOtherKeyPayload(key, ZERO_KEY, 1, readerJamCrc32(key)), mode: 'full', responseMode: mac });
  }
  r.ok(CMD.CHANGE_KEY, { header: Buffer.from([K.master]), payload: Buffer.concat([KEYS.master, Buffer.from([1])]), mode: 'full', responseMode: 'plain' });
  r.session = null;
}

/** The host's ChangeKey CRC (src/card/desfire.ts), not the simulator's: the two check each other. */
export const readerJamCrc32 = hostJamCrc32;

export function expectOk(status: number): void {
  if (status !== OK) throw new Error(`expected 9100, got 91${status.toString(16).padStart(2, '0').toUpperCase()}`);
}

/** A personalised card in the field, PICC level, not authenticated. */
export function personalisedCard(opts: Partial<DesfireSimOptions> = {}): { sim: DesfireSim; r: TestReader; persisted: CardState[] } {
  const persisted: CardState[] = [];
  const sim = new DesfireSim({ state: blankCardState(UID), onPersist: (s) => persisted.push(s), ...opts });
  sim.powerOn();
  const r = new TestReader(sim);
  personalise(r);
  sim.powerOn();
  r.session = null;
  return { sim, r, persisted };
}

/** Select the test app and authenticate with one of its keys. */
export function open(r: TestReader, keyNo: number, key: Buffer): void {
  expectOk(r.select(APP));
  expectOk(r.authenticate(keyNo, key));
}
