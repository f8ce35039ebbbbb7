import { createPublicKey, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalJson, entryHash, GENESIS_HASH, signatureVerifies } from './encoding';
import type { EntryRow } from './entry';
import { parsePayload, txIdOf } from './payload';

// Walks the whole chain, oldest first, and names the first entry that fails:
// gapless sequence from 1; prev_hash is the hash before it; the hash
// recomputes from the stored bytes; the signature is the canonical encoding of
// a valid Ed25519 signature by the kiosk key; the payload column is the
// canonical JSON of a well-formed payload and the kind/tx_id columns agree.
// Then the outbox must hold exactly one row per entry, which is how a deleted
// tail shows (the back office notices a tail deleted from both: the next upload
// does not link to what it holds).
//
// `firstBad` is a seq, or 0 when the ledger as a whole is wrong (no key, not
// the enrolled key, a schema or format this build does not read).

export type VerifyResult = { ok: true; count: number; last_hash: string } | { ok: false; firstBad: number; reason: string };

export const ENTRY_FORMAT = '2';

export function storedPublicKey(db: Database.Database): KeyObject | null {
  const pem = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get() as string | undefined;
  return pem === undefined ? null : createPublicKey(pem);
}

/**
 * Checks one stored row against the hash before it; returns what is wrong, or
 * null. Integrity first (link, hash of the stored bytes, signature: "changed
 * after it was signed"), then meaning (a signed entry that is malformed means
 * the kiosk software wrote it so).
 */
export function checkEntryRow(row: EntryRow, prev_hash: string, key: KeyObject): string | null {
  if (row.prev_hash !== prev_hash) return 'previous-hash link is broken';
  let hash;
  try {
    hash = entryHash({ seq: row.seq, entry_id: row.entry_id, at: row.at, payload_json: row.payload, prev_hash: row.prev_hash });
  } catch (e) {
    return `entry is malformed: ${e instanceof Error ? e.message : String(e)}`; // hostile bytes get a verdict, never a crash
  }
  if (hash !== row.hash) return 'hash does not match the entry';
  if (!signatureVerifies(row.hash, row.signature, key)) return 'signature does not verify';
  let payload;
  try {
    payload = parsePayload(JSON.parse(row.payload));
  } catch (e) {
    return `signed payload is malformed: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (canonicalJson(payload) !== row.payload) return 'signed payload is not in canonical form';
  if (payload.kind !== row.kind) return 'kind column disagrees with the payload';
  if (txIdOf(payload) !== row.tx_id) return 'tx_id column disagrees with the payload';
  return null;
}

export function verifyLedger(db: Database.Database, enrolledKey?: KeyObject): VerifyResult {
  const whole = (reason: string): VerifyResult => ({ ok: false, firstBad: 0, reason });
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 4) return whole(`ledger schema version ${version} predates entry format ${ENTRY_FORMAT}`);
  const format = db.prepare("SELECT value FROM meta WHERE key = 'entry_format'").pluck().get() as string | undefined;
  if (format !== ENTRY_FORMAT) return whole(`entry format ${String(format)} is not one this build reads (${ENTRY_FORMAT})`);
  let stored;
  try {
    stored = storedPublicKey(db);
  } catch {
    return whole('the kiosk public key stored in the ledger is unreadable');
  }
  if (stored === null) return whole('no kiosk public key in the ledger');
  if (enrolledKey !== undefined && !stored.equals(enrolledKey)) return whole('the ledger was signed by a different key than the enrolled one');
  const key = enrolledKey ?? stored;

  let expected = 1;
  let prev = GENESIS_HASH;
  for (const row of db.prepare('SELECT * FROM entries WHERE seq >= 1 ORDER BY seq').iterate() as Iterable<EntryRow>) {
    if (row.seq !== expected) return { ok: false, firstBad: expected, reason: `entry ${expected} is missing (next is ${row.seq})` };
    const wrong = checkEntryRow(row, prev, key);
    if (wrong !== null) return { ok: false, firstBad: row.seq, reason: wrong };
    prev = row.hash;
    expected++;
  }
  const count = expected - 1;
  const outbox = db.prepare('SELECT COUNT(*) AS n, MAX(seq) AS max FROM outbox').get() as { n: number; max: number | null };
  if ((outbox.max ?? 0) > count) return { ok: false, firstBad: count + 1, reason: `entry ${count + 1} is missing (the outbox lists entries up to ${outbox.max})` };
  if (outbox.n !== count) {
    const missing = db.prepare('SELECT MIN(e.seq) FROM entries e LEFT JOIN outbox o ON o.seq = e.seq WHERE o.seq IS NULL').pluck().get() as number;
    return { ok: false, firstBad: missing, reason: `entry ${missing} has no outbox row` };
  }
  const stray = db.prepare('SELECT MIN(seq) FROM entries WHERE seq < 1').pluck().get() as number | null;
  if (stray !== null) return { ok: false, firstBad: stray, reason: `an entry numbered ${stray} is outside the chain` };
  return { ok: true, count, last_hash: prev };
}

/** The last entry links to the one before it, hashes and verifies: checked on open, before anything is chained onto it. */
export function checkTail(db: Database.Database, key: KeyObject): { seq: number; reason: string } | null {
  const [last, before] = db.prepare('SELECT * FROM entries ORDER BY seq DESC LIMIT 2').all() as EntryRow[];
  if (last === undefined) return null;
  if (last.seq !== (before?.seq ?? 0) + 1) return { seq: last.seq, reason: 'the entry before the last one is missing' };
  const wrong = checkEntryRow(last, before?.hash ?? GENESIS_HASH, key);
  return wrong === null ? null : { seq: last.seq, reason: wrong };
}
