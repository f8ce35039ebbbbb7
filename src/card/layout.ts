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
  /** K3 read-only: history (balance inquiry from the newest record), no access to the value file. */
  read: 3,
  /** K4 identification: NOT diversified, held by every station, unlocks only the identity file. */
  ident: 4,
} as const;
export const APP_KEY_COUNT = 5;
/** Cards of layout 1 (before the identification key) have four keys and a free-read identity file. */
export const LEGACY_APP_KEY_COUNT = 4;
/** Master key changeable, configuration changeable, no free listing or creation. */
export const APP_KEY_SETTINGS = 0x09;
export const KEY_VERSION = 0x01;

export interface FileSpec {
  fileNo: number;
  mode: CommMode;
  access: AccessRights;
}

/**
 * Identity: format, program, card number (the diversification input), dates,
 * status — never a name. Readable only after authenticating with the
 * identification key, in full encryption: nothing the card answers without a
 * key is stable from one tap to the next.
 */
export const IDENTITY_FILE = {
  fileNo: 0x00,
  mode: 'full',
  access: { read: KEY.ident, write: KEY.issuer, readWrite: KEY.issuer, change: KEY.issuer },
  size: 32,
} as const satisfies FileSpec & { size: number };

/** Layout 1 (legacy): the same file free to read in plain, which made the card number a tracking handle. */
export const LEGACY_IDENTITY_FILE = {
  ...IDENTITY_FILE,
  mode: 'plain',
  access: { read: ACCESS_FREE, write: KEY.issuer, readWrite: KEY.issuer, change: KEY.issuer },
} as const satisfies FileSpec & { size: number };

/**
 * A migrated layout-1 card: it has no fifth key, so its K3 becomes the
 * identification key and the identity file is keyed to it; history moves to
 * K1 and K2 (K3 must no longer read it).
 */
export const MIGRATED_IDENTITY_ACCESS = { read: KEY.read, write: KEY.issuer, readWrite: KEY.issuer, change: KEY.issuer } as const;

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
export const MIGRATED_HISTORY_ACCESS = { read: KEY.credit, write: KEY.credit, readWrite: KEY.debit, change: KEY.issuer } as const;

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
  /** 1: layout 1 (free-read identity); 2: identity behind the identification key; 3: a layout-1 card migrated. */
  format: number;
  program_id: number;
  /** 12-digit card number: the key diversification input, printed masked on receipts. Not the UID; never readable without a key (layout 2). */
  serial: string;
  issued_on: string; // YYYY-MM-DD
  expires_on: string; // YYYY-MM-DD
  status: CardStatus;
  /** The program's upper limit, also enforced by the card's value file. */
  limit_minor: number;
}

export const IDENTITY_FORMAT = 2;
export const LEGACY_IDENTITY_FORMAT = 1;
/** A layout-1 card whose migration finished (the last step writes this byte). */
export const MIGRATED_IDENTITY_FORMAT = 3;
const IDENTITY_FORMATS: readonly number[] = [LEGACY_IDENTITY_FORMAT, IDENTITY_FORMAT, MIGRATED_IDENTITY_FORMAT];
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
  if (!IDENTITY_FORMATS.includes(id.format)) throw new RangeError(`unknown identity format ${id.format}`);
  const b = Buffer.alloc(IDENTITY_FILE.size);
  b[0] = id.format;
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
  if (b.length < 19 || !IDENTITY_FORMATS.includes(b[0]!)) return null;
  const serial = b.readBigUInt64BE(2).toString().padStart(12, '0');
  if (serial.length !== 12) return null;
  return {
    format: b[0]!,
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
const LEGACY_RECORD_FORMAT = 1;
const RECORD_FORMAT = 2;
const TX_TAG_BYTES = 10;

/**
 * One history record, written in the same card transaction as the value change.
 * It keeps what settlement and the resident's own history screen need, nothing
 * that places the resident: no terminal, no time. The transaction is named by
 * its tag — the UUIDv7's bytes after its millisecond timestamp — so a reader
 * with the read key learns neither where nor when.
 */
export interface CardRecord {
  kind: RecordKind;
  /** `txTagOf(tx_id)`: 20 hex digits. */
  tx_tag: string;
  amount_minor: number;
  balance_after_minor: number;
  /**
   * The card's Transaction MAC counter before this transaction committed, so
   * the next reader knows the counter from the newest record alone (the commit
   * moved it to counter_before + 1). Null in layout-1 records.
   */
  counter_before: number | null;
}

/** The part of a transaction id that goes on the card: everything but its timestamp. */
export function txTagOf(tx_id: string): string {
  return uuidToBytes(tx_id).subarray(16 - TX_TAG_BYTES).toString('hex');
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

export function encodeRecord(r: { kind: RecordKind; tx_id: string; amount_minor: number; balance_after_minor: number; counter_before: number }): Buffer {
  const b = Buffer.alloc(HISTORY_FILE.recordSize);
  b[0] = RECORD_FORMAT;
  b[1] = RECORD_KIND_CODE[r.kind];
  Buffer.from(txTagOf(r.tx_id), 'hex').copy(b, 2);
  b.writeUInt32LE(r.amount_minor, 12);
  b.writeUInt32LE(r.balance_after_minor, 16);
  b.writeUInt32LE(r.counter_before, 20);
  return b;
}

/** Layout-1 record (with terminal and the whole tx id): still read from cards issued before, never written. */
export function encodeLegacyRecord(r: { kind: RecordKind; tx_id: string; amount_minor: number; balance_after_minor: number; terminal_id: number }): Buffer {
  const b = Buffer.alloc(HISTORY_FILE.recordSize);
  b[0] = LEGACY_RECORD_FORMAT;
  b[1] = RECORD_KIND_CODE[r.kind];
  uuidToBytes(r.tx_id).copy(b, 2);
  b.writeUInt32LE(r.amount_minor, 18);
  b.writeUInt32LE(r.balance_after_minor, 22);
  b.writeUInt32LE(r.terminal_id, 26);
  return b;
}

export function decodeRecord(b: Buffer): CardRecord | null {
  if (b.length !== HISTORY_FILE.recordSize) return null;
  const kind = (Object.keys(RECORD_KIND_CODE) as RecordKind[]).find((k) => RECORD_KIND_CODE[k] === b[1]);
  if (!kind) return null;
  if (b[0] === RECORD_FORMAT) {
    return { kind, tx_tag: b.subarray(2, 2 + TX_TAG_BYTES).toString('hex'), amount_minor: b.readUInt32LE(12), balance_after_minor: b.readUInt32LE(16), counter_before: b.readUInt32LE(20) };
  }
  if (b[0] === LEGACY_RECORD_FORMAT) {
    return { kind, tx_tag: txTagOf(bytesToUuid(b.subarray(2, 18))), amount_minor: b.readUInt32LE(18), balance_after_minor: b.readUInt32LE(22), counter_before: null };
  }
  return null;
}
