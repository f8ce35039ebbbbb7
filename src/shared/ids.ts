import { createHash, randomBytes } from 'node:crypto';

// Client-generated, time-ordered ids (UUIDv7, RFC 9562): the kiosk makes and
// persists the id before anything is submitted, and retries reuse it.
//
// Layout: 48-bit Unix milliseconds, version 7, a 12-bit counter in rand_a
// (RFC 9562 §6.2 method 1), variant 10, 62 random bits. Monotonic within a
// process: every id sorts (as a string, too) after the one before it, even
// within one millisecond and even if the wall clock steps back — the clock
// reading never goes below the last one used, and the counter carries into it.

let last_ms = 0;

// Ids are made at every ledger entry: one system call for 256 ids' worth of random bytes.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let pool_at = 0;

function pooledRandom(n: number): Buffer {
  if (pool_at + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    pool_at = 0;
  }
  const out = pool.subarray(pool_at, pool_at + n);
  pool_at += n;
  return out;
}
let last_counter = 0;

const COUNTER_MAX = 0xfff;
const MS_MAX = 2 ** 48 - 1;

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidV7(value: unknown): value is string {
  return typeof value === 'string' && UUID_V7.test(value);
}

export function uuidv7(now_ms: number = Date.now()): string {
  if (!Number.isSafeInteger(now_ms) || now_ms < 0 || now_ms > MS_MAX) throw new RangeError(`uuidv7: bad time ${now_ms}`);
  if (now_ms <= last_ms) {
    last_counter++;
    if (last_counter > COUNTER_MAX) {
      last_ms++; // borrow the next millisecond rather than repeat or go backwards
      last_counter = 0;
    }
  } else {
    last_ms = now_ms;
    last_counter = pooledRandom(2).readUInt16BE() & 0x3ff; // random start, room to count up within the millisecond
  }
  const b = Buffer.from(pooledRandom(16)); // a copy: the pool is overwritten when it refills
  b.writeUIntBE(last_ms, 0, 6);
  b[6] = 0x70 | ((last_counter >> 8) & 0x0f);
  b[7] = last_counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A ledger transaction id: also written into the card's history record. */
export const newTxId = (): string => uuidv7();
/** A ledger entry id. */
export const newEntryId = (): string => uuidv7();

/**
 * The id of a transaction that follows from another one (a credit back of a
 * payment): the same input always gives the same id, so a second attempt finds
 * the first instead of minting another. UUIDv7-shaped, with the millisecond of
 * the transaction it follows from; the rest from SHA-256 of purpose and id.
 */
export function derivedTxId(purpose: string, from_tx_id: string): string {
  if (!isUuidV7(from_tx_id)) throw new RangeError(`derivedTxId: not a UUIDv7: ${from_tx_id}`);
  const b = createHash('sha256').update(`civicard/${purpose}/${from_tx_id}`).digest().subarray(0, 16);
  Buffer.from(from_tx_id.replace(/-/g, '').slice(0, 12), 'hex').copy(b, 0);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
