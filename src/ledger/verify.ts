import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { assertValidPayload, entryHash, GENESIS_HASH } from './entry';
import { rowToEntry } from './ledger';

// Walks the whole chain: gapless sequence from 1, each entry's prev_hash is the
// hash before it, each hash recomputes, each signature verifies, each payload
// is well-formed. Names the first entry that fails.

export type VerifyResult = { ok: true; count: number; last_hash: string } | { ok: false; first_bad_seq: number; reason: string; count_good: number };

export function verifyLedger(db: Database.Database, publicKey?: KeyObject): VerifyResult {
  const stored = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get() as string | undefined;
  if (!stored) return { ok: false, first_bad_seq: 0, reason: 'no kiosk public key in the ledger', count_good: 0 };
  const key = publicKey ?? createPublicKey(stored);
  if (publicKey && publicKey.export({ type: 'spki', format: 'pem' }).toString() !== stored) {
    return { ok: false, first_bad_seq: 0, reason: 'the ledger names a different kiosk key than the one given', count_good: 0 };
  }
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  for (const row of db.prepare('SELECT * FROM entries ORDER BY seq').iterate() as Iterable<Parameters<typeof rowToEntry>[0]>) {
    const fail = (reason: string): VerifyResult => ({ ok: false, first_bad_seq: row.seq, reason, count_good: expectedSeq - 1 });
    if (row.seq !== expectedSeq) return { ok: false, first_bad_seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${row.seq})`, count_good: expectedSeq - 1 };
    let entry;
    try {
      entry = rowToEntry(row);
      assertValidPayload(entry.payload);
    } catch (e) {
      return fail(`payload is malformed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (entry.payload.kind !== row.kind) return fail('kind column disagrees with the payload');
    const payloadTx = 'tx_id' in entry.payload ? entry.payload.tx_id : null;
    if (payloadTx !== row.tx_id) return fail('tx_id column disagrees with the payload');
    if (entry.prev_hash !== prev) return fail('previous-hash link is broken');
    if (entryHash(entry) !== entry.hash) return fail('hash does not match the entry');
    if (!verify(null, Buffer.from(entry.hash, 'hex'), key, Buffer.from(entry.signature, 'base64'))) return fail('signature does not verify');
    prev = entry.hash;
    expectedSeq++;
  }
  // A deleted tail leaves no broken link; the outbox still lists it until acknowledged.
  // (A tail deleted from both is caught by the back office: the next upload's prev_hash will not match.)
  const orphan = db.prepare('SELECT MIN(seq) FROM outbox WHERE seq >= ?').pluck().get(expectedSeq) as number | null;
  if (orphan !== null) return { ok: false, first_bad_seq: orphan, reason: `entry ${orphan} is missing (the outbox still lists it)`, count_good: expectedSeq - 1 };
  return { ok: true, count: expectedSeq - 1, last_hash: prev };
}
