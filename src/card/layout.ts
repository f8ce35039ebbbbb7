import type { AccessRights } from './desfire';
import { ACCESS_FREE, ACCESS_NEVER } from './desfire';
import type { CommMode } from './ev2/messaging';

// The Civicard application on the card (DESIGN §2): which keys may do what, the
// files, and the byte layout of the identity file and of a history record.
// Nothing here holds or can hold a name, address, birth date or document number.

/** Application id as sent on the wire (LSB first). */
export const CIVICARD_AID = Buffer.from([0x43, 0x56, 0x01]);
export const PICC_AID = Buffer.from([0x00, 0x00, 0x00]);
/** System identifier appended to the diversification input (AN10922). */
export const SYSTEM_ID = Buffer.from('CIVICARD', 'ascii');

export const KEY = {
  /** K0 issuer: personalization, ChangeKey, file creation. */
  issuer: 0,
  /** K1 debit: kiosks (GetValue, Debit, LimitedCredit for credit-backs, history). */
  debit: 1,
  /** K2 credit: attendant stations (Credit). Never loaded by a resident kiosk. */
  credit: 2,
  /** K3 read-only: history and identity, no access to the value at all. */
  read: 3,
} as const;
export const APP_KEY_COUNT = 4;
/** Master key changeable, configuration changeable, no free listing or creation. */
export const APP_KEY_SETTINGS = 0x09;
export const KEY_VERSION = 0x01;

export interface FileSpec {
  fileNo: number;
  mode: CommMode;
  access: AccessRights;
}

/** Identity: format, program, serial, dates, status. Free to read so the kiosk can diversify keys before authenticating. */
export const IDENTITY_FILE = {
  fileNo: 0x00,
  mode: 'plain',
  access: { read: ACCESS_FREE, write: KEY.issuer, readWrite: KEY.issuer, change: KEY.issuer },
  size: 32,
} as const satisfies FileSpec & { size: number };

/**
 * The purse. Value-file rights are coarse on DESFire: Read allows GetValue and
 * Debit, Write adds LimitedCredit, ReadWrite adds Credit. So K1 gets Read+Write
 * (it can hand back at most what it last took), K2 gets ReadWrite, K3 nothing.
 */
export const PURSE_FILE = {
  fileNo: 0x01,
  mode: 'mac',
  access: { read: KEY.debit, write: KEY.debit, readWrite: KEY.credit, change: KEY.issuer },
} as const satisfies FileSpec;

/** History: cyclic record file, one record per value change, written in the same card transaction. */
export const HISTORY_FILE = {
  fileNo: 0x02,
  mode: 'full',
  access: { read: KEY.read, write: KEY.credit, readWrite: KEY.debit, change: KEY.issuer },
  recordSize: 32,
  maxRecords: 10,
} as const satisfies FileSpec & { recordSize: number; maxRecords: number };

/**
 * Transaction MAC counter and value of the last commit. Stations that move
 * money read the counter inside their own session (K1 via Read, K2 via
 * ReadWrite) so an intent can record it; CommitReaderID (Write) is never used.
 */
export const TMAC_FILE = {
  fileNo: 0x0f,
  mode: 'mac',
  access: { read: KEY.debit, write: ACCESS_NEVER, readWrite: KEY.credit, change: KEY.issuer },
} as const satisfies FileSpec;

export type CardStatus = 'active' | 'blocked';

export interface CardIdentity {
  format: number;
  program_id: number;
  /** 12-digit decimal serial, printed masked on receipts. Not personal, not the UID. */
  serial: string;
  issued_on: string; // YYYY-MM-DD
  expires_on: string; // YYYY-MM-DD
  status: CardStatus;
  /** The program's upper limit, also enforced by the card's value file. */
  limit_minor: number;
}

const IDENTITY_FORMAT = 1;
const DAY_MS = 86_400_000;

function dayNumber(isoDate: string): number {
  const ms = Date.parse(`${isoDate}T00:00:00Z`);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new RangeError(`not a date: ${isoDate}`);
  return Math.round(ms / DAY_MS);
}

function isoFromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function encodeIdentity(id: CardIdentity): Buffer {
  if (!/^\d{12}$/.test(id.serial)) throw new RangeError('serial must be 12 digits');
  const b = Buffer.alloc(IDENTITY_FILE.size);
  b[0] = IDENTITY_FORMAT;
  b[1] = id.program_id;
  b.writeBigUInt64BE(BigInt(id.serial), 2);
  b.writeUInt16BE(dayNumber(id.issued_on), 10);
  b.writeUInt16BE(dayNumber(id.expires_on), 12);
  b[14] = id.status === 'active' ? 0 : 1;
  b.writeUInt32LE(id.limit_minor, 15);
  return b;
}

/** Null when the bytes are not a Civicard identity (a foreign or blank application). */
export function decodeIdentity(b: Buffer): CardIdentity | null {
  if (b.length < 19 || b[0] !== IDENTITY_FORMAT) return null;
  const serial = b.readBigUInt64BE(2).toString().padStart(12, '0');
  if (serial.length !== 12) return null;
  return {
    format: b[0],
    program_id: b[1]!,
    serial,
    issued_on: isoFromDayNumber(b.readUInt16BE(10)),
    expires_on: isoFromDayNumber(b.readUInt16BE(12)),
    status: b[14] === 0 ? 'active' : 'blocked',
    limit_minor: b.readUInt32LE(15),
  };
}

export function maskSerial(serial: string): string {
  return `**** ${serial.slice(-4)}`;
}

export type RecordKind = 'issue' | 'debit' | 'credit' | 'credit_back';
const RECORD_KIND_CODE: Record<RecordKind, number> = { issue: 1, debit: 2, credit: 3, credit_back: 4 };
const RECORD_FORMAT = 1;

export interface CardRecord {
  kind: RecordKind;
  /** The ledger transaction id (UUID, 16 bytes on the card). */
  tx_id: string;
  amount_minor: number;
  balance_after_minor: number;
  terminal_id: number;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function encodeRecord(r: CardRecord): Buffer {
  const b = Buffer.alloc(HISTORY_FILE.recordSize);
  b[0] = RECORD_FORMAT;
  b[1] = RECORD_KIND_CODE[r.kind];
  uuidToBytes(r.tx_id).copy(b, 2);
  b.writeUInt32LE(r.amount_minor, 18);
  b.writeUInt32LE(r.balance_after_minor, 22);
  b.writeUInt32LE(r.terminal_id, 26);
  return b;
}

export function decodeRecord(b: Buffer): CardRecord | null {
  if (b.length !== HISTORY_FILE.recordSize || b[0] !== RECORD_FORMAT) return null;
  const kind = (Object.keys(RECORD_KIND_CODE) as RecordKind[]).find((k) => RECORD_KIND_CODE[k] === b[1]);
  if (!kind) return null;
  return {
    kind,
    tx_id: bytesToUuid(b.subarray(2, 18)),
    amount_minor: b.readUInt32LE(18),
    balance_after_minor: b.readUInt32LE(22),
    terminal_id: b.readUInt32LE(26),
  };
}
