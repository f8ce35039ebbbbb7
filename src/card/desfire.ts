import { randomBytes } from 'node:crypto';
import { parseResponse, wrapNative } from './apdu';
import { authStep1Data, authStep2, authStep3, CMD_ADDITIONAL_FRAME, CMD_AUTH_EV2_FIRST, CMD_AUTH_EV2_NON_FIRST, type AuthKind } from './ev2/auth';
import { openResponse, protectCommand, type CommMode, type SecureSession } from './ev2/messaging';
import { CardProtocolError, DesfireStatusError, STATUS } from './status';
import type { ApduTransport } from './transport';

// DESFire EV2 native commands over an APDU transport, with EV2 secure messaging.
// Byte layouts follow MF2DLHx0 / AN12196; every answer's MAC is verified (in
// openResponse) before its data is returned.

export const CMD = {
  SELECT_APPLICATION: 0x5a,
  GET_VERSION: 0x60,
  GET_CARD_UID: 0x51,
  CREATE_APPLICATION: 0xca,
  CHANGE_KEY: 0xc4,
  CREATE_VALUE_FILE: 0xcc,
  CREATE_CYCLIC_RECORD_FILE: 0xc0,
  CREATE_STD_DATA_FILE: 0xcd,
  CREATE_TRANSACTION_MAC_FILE: 0xce,
  READ_DATA: 0xbd,
  WRITE_DATA: 0x3d,
  GET_VALUE: 0x6c,
  CREDIT: 0x0c,
  DEBIT: 0xdc,
  LIMITED_CREDIT: 0x1c,
  WRITE_RECORD: 0x8b,
  READ_RECORDS: 0xbb,
  COMMIT_TRANSACTION: 0xc7,
  ABORT_TRANSACTION: 0xa7,
  SET_CONFIGURATION: 0x5c,
  CHANGE_FILE_SETTINGS: 0x5f,
} as const;

/** Bounds the number of chained 91AF frames one answer may have. */
const MAX_RESPONSE_FRAMES = 64;

export interface AccessRights {
  read: number;
  write: number;
  readWrite: number;
  change: number;
}

export const ACCESS_FREE = 0xe;
export const ACCESS_NEVER = 0xf;

export function encodeAccessRights(a: AccessRights): Buffer {
  return Buffer.from([((a.readWrite & 0xf) << 4) | (a.change & 0xf), ((a.read & 0xf) << 4) | (a.write & 0xf)]);
}

const COMM_MODE_BITS: Record<CommMode, number> = { plain: 0x00, mac: 0x01, full: 0x03 };

export function le24(n: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntLE(n, 0, 3);
  return b;
}

export function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

export interface CommitResult {
  /** Transaction MAC counter after this commit, when the application has a TMAC file. */
  tmac_counter: number | null;
  tmac_value: Buffer | null;
}

export interface CommandSpec {
  code: number;
  header?: Buffer;
  payload?: Buffer;
  /** Protection of the command data. */
  mode: CommMode;
  /** Protection of the answer (defaults to `mode`). */
  responseMode?: CommMode;
}

export class DesfireClient {
  private session: SecureSession | null = null;
  private readonly random: (bytes: number) => Buffer;
  /** Count of APDUs sent, for benchmarks. */
  apdus_sent = 0;

  constructor(
    private readonly transport: ApduTransport,
    opts: { random?: (bytes: number) => Buffer } = {},
  ) {
    this.random = opts.random ?? randomBytes;
  }

  get authenticatedKeyNo(): number | null {
    return this.session?.keyNo ?? null;
  }

  private async exchange(apdu: Buffer): Promise<{ status: number; data: Buffer }> {
    this.apdus_sent++;
    const rapdu = await this.transport.transmit(apdu);
    const parsed = parseResponse(rapdu);
    if (!('status' in parsed)) {
      throw new CardProtocolError(`card answered with ISO status ${parsed.iso.toString(16).padStart(4, '0')}, not a DESFire status`);
    }
    return parsed;
  }

  /** Sends one native command, following 91AF chains, and returns the verified plain answer. */
  async command(spec: CommandSpec): Promise<Buffer> {
    const header = spec.header ?? Buffer.alloc(0);
    const payload = spec.payload ?? Buffer.alloc(0);
    const session = this.session;
    const data = protectCommand(session, spec.mode, spec.code, header, payload);
    let answer = await this.exchange(wrapNative(spec.code, data));
    const chunks = [answer.data];
    for (let frames = 1; answer.status === STATUS.ADDITIONAL_FRAME; frames++) {
      if (frames >= MAX_RESPONSE_FRAMES) throw new CardProtocolError('card kept sending additional frames');
      answer = await this.exchange(wrapNative(CMD_ADDITIONAL_FRAME));
      chunks.push(answer.data);
    }
    if (answer.status !== STATUS.OPERATION_OK) {
      // Any error ends the authenticated session on an EV2 card.
      this.session = null;
      throw new DesfireStatusError(answer.status, spec.code);
    }
    if (!session) return Buffer.concat(chunks);
    const responseCounter = session.counter + 1;
    try {
      return openResponse(session, spec.responseMode ?? spec.mode, answer.status, Buffer.concat(chunks), responseCounter);
    } catch (err) {
      this.session = null;
      throw err;
    } finally {
      if (this.session === session) session.counter = responseCounter;
    }
  }

  async selectApplication(aid: Buffer): Promise<void> {
    this.session = null;
    await this.command({ code: CMD.SELECT_APPLICATION, payload: aid, mode: 'plain' });
  }

  async getVersion(): Promise<Buffer> {
    return this.command({ code: CMD.GET_VERSION, mode: this.session ? 'mac' : 'plain' });
  }

  /** AuthenticateEV2First (new transaction identifier, counter 0) or NonFirst (keeps both). */
  async authenticate(keyNo: number, key: Buffer, kind: AuthKind = 'first'): Promise<void> {
    const previous = this.session;
    if (kind === 'nonFirst' && !previous) throw new CardProtocolError('AuthenticateEV2NonFirst needs an authenticated session');
    this.session = null;
    const code = kind === 'first' ? CMD_AUTH_EV2_FIRST : CMD_AUTH_EV2_NON_FIRST;
    const first = await this.exchange(wrapNative(code, authStep1Data(kind, keyNo)));
    if (first.status !== STATUS.ADDITIONAL_FRAME) throw new DesfireStatusError(first.status, code);
    const rndA = this.random(16);
    const step2 = authStep2(key, first.data, rndA);
    const second = await this.exchange(wrapNative(CMD_ADDITIONAL_FRAME, step2.data));
    if (second.status !== STATUS.OPERATION_OK) throw new DesfireStatusError(second.status, code);
    const result = authStep3(kind, key, second.data, rndA, step2.rndB);
    const ti = result.ti ?? previous!.ti;
    const counter = kind === 'first' ? 0 : previous!.counter;
    this.session = { keys: result.keys, ti, counter, keyNo };
  }

  async getCardUid(): Promise<Buffer> {
    const uid = await this.command({ code: CMD.GET_CARD_UID, mode: 'mac', responseMode: 'full' });
    if (uid.length < 4 || uid.length > 10) throw new CardProtocolError(`GetCardUID returned ${uid.length} bytes`);
    return uid;
  }

  async createApplication(aid: Buffer, keySettings1: number, keyCount: number): Promise<void> {
    const keySettings2 = 0x80 | (keyCount & 0x0f); // AES keys
    await this.command({ code: CMD.CREATE_APPLICATION, payload: Buffer.concat([aid, Buffer.from([keySettings1, keySettings2])]), mode: this.session ? 'mac' : 'plain' });
  }

  /** ChangeKey (Full mode). `oldKey` is required when changing a key other than the one authenticated. */
  async changeKey(keyNo: number, newKey: Buffer, newVersion: number, oldKey?: Buffer): Promise<void> {
    const session = this.requireSession('ChangeKey');
    let plain: Buffer;
    if (keyNo === session.keyNo) {
      plain = Buffer.concat([newKey, Buffer.from([newVersion])]);
    } else {
      if (!oldKey) throw new CardProtocolError('changing another key needs the old key');
      const xored = Buffer.alloc(16);
      for (let i = 0; i < 16; i++) xored[i] = newKey[i]! ^ oldKey[i]!;
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(jamCrc32(newKey));
      plain = Buffer.concat([xored, Buffer.from([newVersion]), crc]);
    }
    const changingOwnKey = keyNo === session.keyNo;
    await this.command({ code: CMD.CHANGE_KEY, header: Buffer.from([keyNo]), payload: plain, mode: 'full', responseMode: changingOwnKey ? 'plain' : 'mac' });
    if (changingOwnKey) this.session = null; // the card ends the session after changing its own key
  }

  async createValueFile(f: { fileNo: number; mode: CommMode; access: AccessRights; lower_minor: number; upper_minor: number; value_minor: number; limitedCredit: boolean }): Promise<void> {
    const payload = Buffer.concat([
      Buffer.from([f.fileNo, COMM_MODE_BITS[f.mode]]),
      encodeAccessRights(f.access),
      le32(f.lower_minor),
      le32(f.upper_minor),
      le32(f.value_minor),
      Buffer.from([f.limitedCredit ? 0x01 : 0x00]),
    ]);
    await this.command({ code: CMD.CREATE_VALUE_FILE, payload, mode: 'mac' });
  }

  async createCyclicRecordFile(f: { fileNo: number; mode: CommMode; access: AccessRights; recordSize: number; maxRecords: number }): Promise<void> {
    const payload = Buffer.concat([Buffer.from([f.fileNo, COMM_MODE_BITS[f.mode]]), encodeAccessRights(f.access), le24(f.recordSize), le24(f.maxRecords)]);
    await this.command({ code: CMD.CREATE_CYCLIC_RECORD_FILE, payload, mode: 'mac' });
  }

  async createStdDataFile(f: { fileNo: number; mode: CommMode; access: AccessRights; size: number }): Promise<void> {
    const payload = Buffer.concat([Buffer.from([f.fileNo, COMM_MODE_BITS[f.mode]]), encodeAccessRights(f.access), le24(f.size)]);
    await this.command({ code: CMD.CREATE_STD_DATA_FILE, payload, mode: 'mac' });
  }

  async createTransactionMacFile(f: { fileNo: number; mode: CommMode; access: AccessRights; key: Buffer; keyVersion: number }): Promise<void> {
    const header = Buffer.concat([Buffer.from([f.fileNo, COMM_MODE_BITS[f.mode]]), encodeAccessRights(f.access)]);
    const payload = Buffer.concat([Buffer.from([0x02]), f.key, Buffer.from([f.keyVersion])]);
    await this.command({ code: CMD.CREATE_TRANSACTION_MAC_FILE, header, payload, mode: 'full', responseMode: 'mac' });
  }

  /** SetConfiguration at PICC level (PICC master key, Full mode). Option 00, bit 1 of the byte: Random ID, which cannot be turned off again. */
  async setConfiguration(option: number, data: Buffer): Promise<void> {
    await this.command({ code: CMD.SET_CONFIGURATION, header: Buffer.from([option]), payload: data, mode: 'full', responseMode: 'mac' });
  }

  /** ChangeFileSettings, authenticated with the file's Change key (Full mode). */
  async changeFileSettings(fileNo: number, mode: CommMode, access: AccessRights): Promise<void> {
    const payload = Buffer.concat([Buffer.from([COMM_MODE_BITS[mode]]), encodeAccessRights(access)]);
    await this.command({ code: CMD.CHANGE_FILE_SETTINGS, header: Buffer.from([fileNo]), payload, mode: 'full', responseMode: 'mac' });
  }

  async readData(fileNo: number, offset: number, length: number, mode: CommMode): Promise<Buffer> {
    const header = Buffer.concat([Buffer.from([fileNo]), le24(offset), le24(length)]);
    return this.command({ code: CMD.READ_DATA, header, mode: mode === 'full' ? 'mac' : mode, responseMode: mode });
  }

  async writeData(fileNo: number, offset: number, data: Buffer, mode: CommMode): Promise<void> {
    const header = Buffer.concat([Buffer.from([fileNo]), le24(offset), le24(data.length)]);
    await this.command({ code: CMD.WRITE_DATA, header, payload: data, mode, responseMode: mode === 'full' ? 'mac' : mode });
  }

  async getValue(fileNo: number, mode: CommMode): Promise<number> {
    const answer = await this.command({ code: CMD.GET_VALUE, header: Buffer.from([fileNo]), mode: mode === 'full' ? 'mac' : mode, responseMode: mode });
    if (answer.length !== 4) throw new CardProtocolError(`GetValue returned ${answer.length} bytes`);
    return answer.readInt32LE(0);
  }

  private async valueCommand(code: number, fileNo: number, amount_minor: number, mode: CommMode): Promise<void> {
    if (!Number.isInteger(amount_minor) || amount_minor < 0 || amount_minor > 0x7fffffff) {
      throw new RangeError(`amount must be a non-negative integer number of minor units, got ${amount_minor}`);
    }
    await this.command({ code, header: Buffer.from([fileNo]), payload: le32(amount_minor), mode, responseMode: mode === 'full' ? 'mac' : mode });
  }

  credit(fileNo: number, amount_minor: number, mode: CommMode): Promise<void> {
    return this.valueCommand(CMD.CREDIT, fileNo, amount_minor, mode);
  }

  debit(fileNo: number, amount_minor: number, mode: CommMode): Promise<void> {
    return this.valueCommand(CMD.DEBIT, fileNo, amount_minor, mode);
  }

  limitedCredit(fileNo: number, amount_minor: number, mode: CommMode): Promise<void> {
    return this.valueCommand(CMD.LIMITED_CREDIT, fileNo, amount_minor, mode);
  }

  async writeRecord(fileNo: number, offset: number, data: Buffer, mode: CommMode): Promise<void> {
    const header = Buffer.concat([Buffer.from([fileNo]), le24(offset), le24(data.length)]);
    await this.command({ code: CMD.WRITE_RECORD, header, payload: data, mode, responseMode: mode === 'full' ? 'mac' : mode });
  }

  /** Reads `count` records starting `recNo` back from the newest (0 = newest); oldest first. */
  async readRecords(fileNo: number, recNo: number, count: number, recordSize: number, mode: CommMode): Promise<Buffer[]> {
    const header = Buffer.concat([Buffer.from([fileNo]), le24(recNo), le24(count)]);
    const data = await this.command({ code: CMD.READ_RECORDS, header, mode: mode === 'full' ? 'mac' : mode, responseMode: mode });
    if (data.length % recordSize !== 0) throw new CardProtocolError(`ReadRecords returned ${data.length} bytes, not a multiple of ${recordSize}`);
    const records: Buffer[] = [];
    for (let i = 0; i < data.length; i += recordSize) records.push(data.subarray(i, i + recordSize));
    return records;
  }

  /** CommitTransaction; with `withTmac` the card returns its Transaction MAC counter and value. */
  async commitTransaction(withTmac: boolean): Promise<CommitResult> {
    const answer = await this.command({ code: CMD.COMMIT_TRANSACTION, payload: withTmac ? Buffer.from([0x01]) : Buffer.alloc(0), mode: 'mac' });
    if (!withTmac) return { tmac_counter: null, tmac_value: null };
    if (answer.length !== 12) throw new CardProtocolError(`CommitTransaction returned ${answer.length} bytes, expected TMC and TMV (12)`);
    return { tmac_counter: answer.readUInt32LE(0), tmac_value: Buffer.from(answer.subarray(4, 12)) };
  }

  async abortTransaction(): Promise<void> {
    await this.command({ code: CMD.ABORT_TRANSACTION, mode: 'mac' });
  }

  private requireSession(what: string): SecureSession {
    if (!this.session) throw new CardProtocolError(`${what} needs an authenticated session`);
    return this.session;
  }
}

/** DESFire's CRC32 for ChangeKey: IEEE 802.3 polynomial, init FFFFFFFF, no final XOR. */
export function jamCrc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc >>> 0;
}
