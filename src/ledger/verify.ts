import { createPublicKey, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalJson, entryHash, GENESIS_HASH, signatureVerifies } from './encoding';
import type { EntryRow } from './entry';
import { moneyFaults, moneyRowsOf, type MoneyRow, type SignedEntry } from './money-check';
import { parsePayload, txIdOf, type EntryPayload } from './payload';

// Walks the whole chain, oldest first, and names the first entry that fails:
// gapless sequence from 1; prev_hash is the hash before it; the hash
// recomputes from the stored bytes; the signature is the canonical encoding of
// a valid Ed25519 signature by the kiosk key; the payload column is the
// canonical JSON of a well-formed payload and the kind/tx_id columns agree.
// Then the outbox must hold exactly one row per entry, an entry recorded
// elsewhere (`expectLast`) must still be in the chain, and the derived money
// table must be exactly what the signed entries imply (money-check.ts).
//
// What the file alone cannot prove, the result does not claim. The ledger
// carries its own public key, so whoever rewrites it can re-sign it with a key
// of their own and store that: `verified` is true only when a trusted key (the
// kiosk's enrolled key, from outside this file) was given and signed the
// chain. And a tail deleted from entries, outbox and money alike leaves a
// consistent shorter chain: only `expectLast` (or the back office, whose next
// upload would not link) shows it.
//
// `firstBad` is a seq, or 0 when the ledger as a whole is wrong (not the
// trusted key, no key, a schema or format this build does not read).

export type VerifyResult =
  | { ok: true; verified: boolean; count: number; last_hash: string }
  | { ok: false; firstBad: number; reason: string };

/** An entry known from outside the ledger: its seq and hash. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

export interface VerifyOptions {
  /** The kiosk's enrolled public key. Without it the chain is checked against the key it carries, and is never `verified`. */
  trustedKey?: KeyObject;
  /** The last entry recorded elsewhere (an earlier verify, the back office's last acknowledged entry): it must still be in the chain. */
  expectLast?: ChainPoint;
}

export const ENTRY_FORMAT = '2';

/** How many money faults one verdict lists; the rest are counted. */
const MONEY_FAULTS_SHOWN = 10;

export function storedPublicKey(db: Database.Database): KeyObject | null {
  const pem = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get() as string | undefined;
  return pem === undefined ? null : createPublicKey(pem);
}

/** `SEQ:HASH` as printed by verify (seq from 1, hash 64 lowercase hex). */
export function parseChainPoint(text: string): ChainPoint {
  const m = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text);
  const seq = m === null ? NaN : Number(m[1]);
  if (m === null || !Number.isSafeInteger(seq)) throw new RangeError(`--expect-last must be SEQ:HASH (e.g. 42:<64 hex digits>), not ${text}`);
  return { seq, hash: m[2]! };
}

type RowVerdict = { ok: true; payload: EntryPayload } | { ok: false; reason: string };

/**
 * Checks one stored row against the hash before it. Integrity first (link,
 * hash of the stored bytes, signature: "changed after it was signed"), then
 * meaning (a signed entry that is malformed means the kiosk software wrote it
 * so).
 */
function checkRow(row: EntryRow, prev_hash: string, key: KeyObject): RowVerdict {
  const bad = (reason: string): RowVerdict => ({ ok: false, reason });
  if (row.prev_hash !== prev_hash) return bad('previous-hash link is broken');
  let hash;
  try {
    hash = entryHash({ seq: row.seq, entry_id: row.entry_id, at: row.at, payload_json: row.payload, prev_hash: row.prev_hash });
  } catch (e) {
    return bad(`entry is malformed: ${e instanceof Error ? e.message : String(e)}`); // hostile bytes get a verdict, never a crash
  }
  if (hash !== row.hash) return bad('hash does not match the entry');
  if (!signatureVerifies(row.hash, row.signature, key)) return bad('signature does not verify');
  let payload;
  try {
    payload = parsePayload(JSON.parse(row.payload));
  } catch (e) {
    return bad(`signed payload is malformed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (canonicalJson(payload) !== row.payload) return bad('signed payload is not in canonical form');
  if (payload.kind !== row.kind) return bad('kind column disagrees with the payload');
  if (txIdOf(payload) !== row.tx_id) return bad('tx_id column disagrees with the payload');
  return { ok: true, payload };
}

/** What is wrong with one stored row, or null. */
export function checkEntryRow(row: EntryRow, prev_hash: string, key: KeyObject): string | null {
  const verdict = checkRow(row, prev_hash, key);
  return verdict.ok ? null : verdict.reason;
}

export function verifyLedger(db: Database.Database, opts: VerifyOptions = {}): VerifyResult {
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
  const { trustedKey, expectLast } = opts;
  if (trustedKey !== undefined && !stored.equals(trustedKey)) return whole('the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)');
  const key = trustedKey ?? stored;

  // One pass: the walk checks each row and hands the signed entries on to the
  // money replay, which keeps only what it needs (not the whole chain).
  let expected = 1;
  let prev = GENESIS_HASH;
  let hashAtExpected: string | undefined;
  let broken: VerifyResult | undefined;
  function* walk(): Generator<SignedEntry> {
    for (const row of db.prepare('SELECT * FROM entries WHERE seq >= 1 ORDER BY seq').iterate() as Iterable<EntryRow>) {
      if (row.seq !== expected) {
        broken = { ok: false, firstBad: expected, reason: `entry ${expected} is missing (next is ${row.seq})` };
        return;
      }
      const verdict = checkRow(row, prev, key);
      if (!verdict.ok) {
        broken = { ok: false, firstBad: row.seq, reason: verdict.reason };
        return;
      }
      if (row.seq === expectLast?.seq) hashAtExpected = row.hash;
      prev = row.hash;
      expected++;
      yield { seq: row.seq, at: row.at, payload: verdict.payload };
    }
  }
  const derivedMoney = [...moneyRowsOf(walk())];
  if (broken !== undefined) return broken;
  const count = expected - 1;
  const outbox = db.prepare('SELECT COUNT(*) AS n, MAX(seq) AS max FROM outbox').get() as { n: number; max: number | null };
  if ((outbox.max ?? 0) > count) return { ok: false, firstBad: count + 1, reason: `entry ${count + 1} is missing (the outbox lists entries up to ${outbox.max})` };
  if (outbox.n !== count) {
    const missing = db.prepare('SELECT MIN(e.seq) FROM entries e LEFT JOIN outbox o ON o.seq = e.seq WHERE o.seq IS NULL').pluck().get() as number;
    return { ok: false, firstBad: missing, reason: `entry ${missing} has no outbox row` };
  }
  const stray = db.prepare('SELECT MIN(seq) FROM entries WHERE seq < 1').pluck().get() as number | null;
  if (stray !== null) return { ok: false, firstBad: stray, reason: `an entry numbered ${stray} is outside the chain` };

  if (expectLast !== undefined) {
    const recorded = `${expectLast.hash.slice(0, 16)}…`;
    if (hashAtExpected === undefined) {
      return { ok: false, firstBad: count + 1, reason: `entry ${expectLast.seq} (hash ${recorded}), recorded as the last, is missing: the ledger ends at entry ${count}, so its tail was removed` };
    }
    if (hashAtExpected !== expectLast.hash) {
      return { ok: false, firstBad: expectLast.seq, reason: `entry ${expectLast.seq} has hash ${hashAtExpected.slice(0, 16)}…, not the recorded ${recorded}: the chain was rewritten from there or earlier` };
    }
  }

  const storedMoney = db.prepare('SELECT seq, tx_id, card_ref, direction, amount_minor, at_ms FROM money ORDER BY seq').all() as MoneyRow[];
  const faults = moneyFaults(derivedMoney, storedMoney, (seq) => seq >= 1 && seq <= count);
  if (faults.length > 0) {
    const shown = faults.slice(0, MONEY_FAULTS_SHOWN).map((f) => f.what);
    if (faults.length > shown.length) shown.push(`and ${faults.length - shown.length} more`);
    return { ok: false, firstBad: faults[0]!.seq, reason: `the money table disagrees with the signed entries: ${shown.join('; ')}` };
  }
  return { ok: true, verified: trustedKey !== undefined, count, last_hash: prev };
}

/** The last entry links to the one before it, hashes and verifies: checked on open, before anything is chained onto it. */
export function checkTail(db: Database.Database, key: KeyObject): { seq: number; reason: string } | null {
  const [last, before] = db.prepare('SELECT * FROM entries ORDER BY seq DESC LIMIT 2').all() as EntryRow[];
  if (last === undefined) return null;
  if (last.seq !== (before?.seq ?? 0) + 1) return { seq: last.seq, reason: 'the entry before the last one is missing' };
  const wrong = checkEntryRow(last, before?.hash ?? GENESIS_HASH, key);
  return wrong === null ? null : { seq: last.seq, reason: wrong };
}
