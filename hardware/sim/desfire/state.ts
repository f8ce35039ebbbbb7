import { randomBytes } from 'node:crypto';

// The committed state of a simulated card: what survives the field going off.
// Plain JSON (hex strings, numbers, records) so it can be saved to a file,
// diffed by eye, and deep-copied with structuredClone. Volatile things (the
// selected application, the secure session, an open transaction) never live here.

export const CARD_STATE_FORMAT = 'civicard-desfire-sim/1';

export type CommModeName = 'plain' | 'mac' | 'full';

/** Access-right nibbles: a key number 0..13, 0xE free, 0xF never. */
export interface AccessRightsState {
  read: number;
  write: number;
  readWrite: number;
  change: number;
}

export interface KeyState {
  /** AES-128 key, 32 hex digits. */
  keyHex: string;
  version: number;
}

interface FileBase {
  commMode: CommModeName;
  access: AccessRightsState;
}

export interface StdDataFileState extends FileBase {
  type: 'stdData';
  /** The whole file; its length is the file size. */
  dataHex: string;
}

export interface ValueFileState extends FileBase {
  type: 'value';
  lowerLimit: number;
  upperLimit: number;
  value: number;
  limitedCreditEnabled: boolean;
  /** How much one LimitedCredit may still add: the debits of the last committed transaction that had any; 0 once used. */
  limitedCreditAvailable: number;
}

export interface CyclicRecordFileState extends FileBase {
  type: 'cyclicRecord';
  recordSize: number;
  /** As created. As on a real card one slot is kept for the transaction, so at most maxRecords − 1 records are held. */
  maxRecords: number;
  /** Committed records, oldest first, each recordSize bytes in hex. */
  recordsHex: string[];
}

export interface TransactionMacFileState extends FileBase {
  type: 'transactionMac';
  /** AppTransactionMACKey. */
  keyHex: string;
  keyVersion: number;
  /** Transaction MAC counter: committed transactions that changed a value or record file. */
  tmc: number;
  /** Transaction MAC value of the last such transaction (8 bytes, zeros before the first). */
  tmvHex: string;
}

export type FileState = StdDataFileState | ValueFileState | CyclicRecordFileState | TransactionMacFileState;

export interface ApplicationState {
  keySettings1: number;
  keySettings2: number;
  keys: KeyState[];
  /** By file number (decimal string, 0..31). */
  files: Record<string, FileState>;
}

export interface CardState {
  format: typeof CARD_STATE_FORMAT;
  /** The real 7-byte UID, 14 hex digits (what GetCardUID returns). */
  uidHex: string;
  piccKey: KeyState;
  /** Random ID on (SetConfiguration): anticollision answers a fresh random UID at every power-on. Absent in older state files: off. */
  randomUid?: boolean;
  /** By AID as sent on the wire (3 bytes, 6 upper-case hex digits). */
  applications: Record<string, ApplicationState>;
}

export const UID_BYTES = 7;
export const MAX_FILE_NO = 31;
export const MAX_APPLICATIONS = 28;

export function zeroKey(): KeyState {
  return { keyHex: '00'.repeat(16), version: 0 };
}

/** A card fresh from the factory: no applications, PICC master key all zeros (AES). */
export function blankCardState(uid?: Buffer): CardState {
  let realUid = uid;
  if (!realUid) {
    realUid = randomBytes(UID_BYTES);
    realUid[0] = 0x04; // NXP manufacturer code
  }
  if (realUid.length !== UID_BYTES) throw new RangeError(`a card UID is ${UID_BYTES} bytes, got ${realUid.length}`);
  return { format: CARD_STATE_FORMAT, uidHex: realUid.toString('hex').toUpperCase(), piccKey: zeroKey(), applications: {} };
}

export function cloneCardState(state: CardState): CardState {
  return structuredClone(state);
}

export function aidHex(aid: Uint8Array): string {
  return Buffer.from(aid).toString('hex').toUpperCase();
}

export function commModeFromOption(fileOption: number): CommModeName {
  const bits = fileOption & 0x03;
  return bits === 0x01 ? 'mac' : bits === 0x03 ? 'full' : 'plain';
}

/** Access rights as on the wire: byte0 = RW << 4 | Change, byte1 = Read << 4 | Write. */
export function decodeAccessRights(byte0: number, byte1: number): AccessRightsState {
  return { readWrite: byte0 >> 4, change: byte0 & 0x0f, read: byte1 >> 4, write: byte1 & 0x0f };
}
