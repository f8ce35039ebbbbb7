import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { isUuidV7 } from '../shared/ids';

// The bytes that are hashed and signed. Version 2 of the entry encoding:
//
//   text  = "civicard-ledger-entry/2" LF
//           seq                       LF   decimal, no sign, no leading zeros
//           entry_id                  LF   UUIDv7, lowercase
//           at                        LF   ISO 8601 UTC with milliseconds (Date#toISOString)
//           payload                   LF   canonical JSON of the payload (below)
//           prev_hash                      the previous entry's hash; 64 × "0" for seq 1
//   hash  = lowercase hex of SHA-256(UTF-8 bytes of text)
//   signature = base64 (standard alphabet, padded) of the 64-byte Ed25519
//           signature, by the kiosk key, over the 32 raw bytes of hash
//
// Canonical JSON: objects only at the top and one level down (settled evidence),
// keys sorted by UTF-16 code units, no whitespace, strings as JSON.stringify
// writes them, numbers are safe integers in plain decimal, null allowed,
// nothing else (no floats, arrays, booleans or undefined). The payload column
// stores exactly these bytes, so the hash is recomputed from what is stored and
// any changed byte shows. No field can hold a line feed (ids, times and hex
// have fixed shapes; JSON escapes control characters), so the text splits back
// into exactly these six fields.

export const ENCODING_VERSION = 'civicard-ledger-entry/2';
export const GENESIS_HASH = '0'.repeat(64);

const HASH = /^[0-9a-f]{64}$/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SIGNATURE_BYTES = 64;

export class LedgerEncodingError extends TypeError {
  override name = 'LedgerEncodingError';
}

/** JSON with keys sorted at every level: the same payload always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) throw new LedgerEncodingError(`canonical JSON holds safe integers only, not ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) throw new LedgerEncodingError('canonical JSON holds no arrays');
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new LedgerEncodingError(`canonical JSON cannot hold ${typeof value}`);
  }
}

/** The stored fields that are hashed (the payload as its canonical JSON text). */
export interface HashedFields {
  seq: number;
  entry_id: string;
  at: string;
  payload_json: string;
  prev_hash: string;
}

/** Throws when a field does not have the shape the encoding requires. */
export function assertEncodable(f: HashedFields): void {
  if (!Number.isSafeInteger(f.seq) || f.seq < 1) throw new LedgerEncodingError(`seq must be a positive integer, not ${f.seq}`);
  if (!isUuidV7(f.entry_id)) throw new LedgerEncodingError('entry_id must be a UUIDv7');
  if (!AT.test(f.at) || Number.isNaN(Date.parse(f.at)) || new Date(f.at).toISOString() !== f.at) throw new LedgerEncodingError('at must be an ISO 8601 UTC time with milliseconds');
  if (!HASH.test(f.prev_hash)) throw new LedgerEncodingError('prev_hash must be 64 lowercase hex digits');
  if (f.payload_json.includes('\n')) throw new LedgerEncodingError('payload must not contain a line feed');
}

export function hashText(f: HashedFields): string {
  return [ENCODING_VERSION, String(f.seq), f.entry_id, f.at, f.payload_json, f.prev_hash].join('\n');
}

export function entryHash(f: HashedFields): string {
  assertEncodable(f);
  return createHash('sha256').update(hashText(f), 'utf8').digest('hex');
}

export function signHash(hash: string, privateKey: KeyObject): string {
  if (!HASH.test(hash)) throw new LedgerEncodingError('hash must be 64 lowercase hex digits');
  return sign(null, Buffer.from(hash, 'hex'), privateKey).toString('base64');
}

/** True only for the canonical base64 of a valid signature over this hash. */
export function signatureVerifies(hash: string, signature: string, publicKey: KeyObject): boolean {
  if (!HASH.test(hash)) return false;
  const bytes = Buffer.from(signature, 'base64');
  // Node's base64 decoder skips stray characters and ignores spare bits: insist
  // on the one canonical spelling so that every stored byte is covered.
  if (bytes.length !== SIGNATURE_BYTES || bytes.toString('base64') !== signature) return false;
  return verify(null, Buffer.from(hash, 'hex'), publicKey, bytes);
}
