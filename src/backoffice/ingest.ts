import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Insertable, Selectable, Transaction } from 'kysely';
import { canonicalJson, entryHash, GENESIS_HASH, signatureVerifies } from '../ledger/encoding';
import type { EntryRow } from '../ledger/entry';
import { parsePayload, txIdOf } from '../ledger/payload';
import type { BackOfficeStore } from './db/connect';
import type { BackOfficeDb, EntriesTable } from './db/schema';
import { projectEntry } from './project';
import { markReplacementsUsed } from './lost-card/replacements';
import { POOL_MIN_SIGNATURES, signaturePool } from './signature-pool';

// Storing what a kiosk uploads (docs/sync-protocol.md, "Uplink"). One database
// transaction per batch, in this order:
//
//   1. shape: the nine columns of a ledger row, consecutive seqs, ≤ 1,000;
//   2. against what is held: a row equal to the held one under its seq is a
//      duplicate (nothing to do); a different row under a held seq or entry_id
//      is a conflict: kept in sync_evidence, raised as a critical exception,
//      the batch refused, nothing held touched;
//   3. a gap after the last held entry is refused with the seq expected;
//   4. verification of every row not already held, whole batch before any is
//      stored: hash, link, payload, then signatures (see below);
//   5. insert, with the projection columns reconciliation queries.
//
// Signatures: each entry's signature covers its hash, which covers prev_hash,
// so one valid signature on the newest entry would vouch for every entry
// before it. But the signature column itself is outside the hash: a row whose
// own signature is garbage would chain fine and be stored as evidence that
// cannot stand alone (and fails `ledger verify`). So every new entry's own
// signature is checked; what the chain saves is re-checking rows already held
// (byte-identical duplicates cost no signature check), and hashes and links are
// checked for the whole batch first, so a tampered batch is refused before any
// signature is checked past the tampered entry.

export const MAX_BATCH_ENTRIES = 1_000;
const INSERT_CHUNK = 200;
const ROW_FIELDS = ['seq', 'entry_id', 'at', 'kind', 'tx_id', 'payload', 'prev_hash', 'hash', 'signature'] as const;

export interface IngestAccepted {
  ok: true;
  kiosk_id: string;
  received: number;
  stored: number;
  duplicates: number;
  acknowledged_through_seq: number;
}

export type IngestRefusal =
  | { ok: false; status: 400; error: 'bad_request'; message: string }
  | { ok: false; status: 401; error: 'kiosk_not_enrolled'; message: string }
  | { ok: false; status: 409; error: 'conflict'; seq: number; message: string }
  | { ok: false; status: 409; error: 'gap'; expected_seq: number; message: string }
  | { ok: false; status: 422; error: 'verification_failed'; first_bad_seq: number; reason: string; message: string };

export type IngestResult = IngestAccepted | IngestRefusal;

export interface IngestOptions {
  now?: () => Date;
}

type Trx = Transaction<BackOfficeDb>;
type HeldRow = Selectable<Pick<EntriesTable, (typeof ROW_FIELDS)[number]>>;

export async function ingestBatch(store: BackOfficeStore, kiosk_id: string, rows: unknown, opts: IngestOptions = {}): Promise<IngestResult> {
  const shaped = shapeOf(rows);
  if (typeof shaped === 'string') return { ok: false, status: 400, error: 'bad_request', message: shaped };
  const batch = shaped;
  const now = (opts.now ?? (() => new Date()))();
  const received_at = now.toISOString();

  return store.db.transaction().execute(async (trx): Promise<IngestResult> => {
    // Serialises batches of one kiosk on PostgreSQL (SQLite runs one writer at a time anyway).
    const kiosk = await trx
      .selectFrom('kiosks')
      .select(['public_key_pem', 'status'])
      .where('kiosk_id', '=', kiosk_id)
      .$if(store.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (kiosk === undefined || kiosk.status !== 'active') {
      return { ok: false, status: 401, error: 'kiosk_not_enrolled', message: `kiosk ${kiosk_id} is not enrolled (or was revoked)` };
    }
    const key = createPublicKey(kiosk.public_key_pem);
    const first = batch[0]!.seq;
    const last = batch[batch.length - 1]!.seq;
    const lastHeld = await lastHeldEntry(trx, kiosk_id);
    const held = await trx
      .selectFrom('entries')
      .select(ROW_FIELDS)
      .where('kiosk_id', '=', kiosk_id)
      .where((eb) => eb.or([eb.between('seq', Math.max(1, first - 1), last), eb('entry_id', 'in', batch.map((r) => r.entry_id))]))
      .execute();
    const heldBySeq = new Map(held.map((r) => [r.seq, r]));
    const heldById = new Map(held.map((r) => [r.entry_id, r]));

    // 2. Conflicts with what is held.
    const conflicts: { row: EntryRow; held: HeldRow }[] = [];
    let duplicates = 0;
    for (const row of batch) {
      const same = heldBySeq.get(row.seq);
      const sameId = heldById.get(row.entry_id);
      if (same !== undefined && sameRow(same, row) && (sameId === undefined || sameId.seq === row.seq)) duplicates++;
      else if (same !== undefined || sameId !== undefined) conflicts.push({ row, held: same ?? sameId! });
    }
    if (conflicts.length > 0) return refuseConflicts(trx, kiosk_id, key, conflicts, heldBySeq, received_at);

    // 3. Gap.
    const fresh = batch.slice(duplicates);
    const expected_seq = (lastHeld?.seq ?? 0) + 1;
    if (fresh.length > 0 && fresh[0]!.seq !== expected_seq) {
      return {
        ok: false,
        status: 409,
        error: 'gap',
        expected_seq,
        message: `the back office holds this kiosk's entries up to ${expected_seq - 1}; send from entry ${expected_seq}, not ${fresh[0]!.seq}`,
      };
    }

    // 4. Verification of what is new, whole batch first.
    const prevHash = fresh.length === 0 ? GENESIS_HASH : fresh[0]!.seq === 1 ? GENESIS_HASH : lastHeld!.hash;
    const bad = await verifyNewRows(fresh, prevHash, key, kiosk.public_key_pem);
    if (bad !== null) {
      return { ok: false, status: 422, error: 'verification_failed', first_bad_seq: bad.seq, reason: bad.reason, message: `entry ${bad.seq} fails verification: ${bad.reason}; the whole batch was refused` };
    }

    // 5. Store.
    await insertEntries(trx, fresh.map((row) => toStored(kiosk_id, row, received_at)));
    await trx.updateTable('kiosks').set({ last_sync_at: received_at }).where('kiosk_id', '=', kiosk_id).execute();
    // A lost card's authorisation is used up by the committed credit that names it.
    if (fresh.length > 0) await markReplacementsUsed(trx, kiosk_id, fresh[0]!.seq);
    const through = fresh.length > 0 ? fresh[fresh.length - 1]!.seq : (lastHeld?.seq ?? 0);
    return { ok: true, kiosk_id, received: batch.length, stored: fresh.length, duplicates, acknowledged_through_seq: through };
  });
}

export interface SyncStatus {
  kiosk_id: string;
  /** The highest seq held; ingest refuses gaps, so every seq below it is held too. */
  acknowledged_through_seq: number;
  last_hash: string;
}

export async function acknowledgedThrough(store: BackOfficeStore, kiosk_id: string): Promise<SyncStatus> {
  const last = await lastHeldEntry(store.db, kiosk_id);
  return { kiosk_id, acknowledged_through_seq: last?.seq ?? 0, last_hash: last?.hash ?? GENESIS_HASH };
}

async function lastHeldEntry(db: BackOfficeStore['db'] | Trx, kiosk_id: string): Promise<{ seq: number; hash: string } | undefined> {
  return db.selectFrom('entries').select(['seq', 'hash']).where('kiosk_id', '=', kiosk_id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

function sameRow(held: HeldRow, row: EntryRow): boolean {
  return ROW_FIELDS.every((f) => held[f] === row[f]);
}

/** A batch as the protocol allows it, or what is wrong with it. */
function shapeOf(rows: unknown): EntryRow[] | string {
  if (!Array.isArray(rows)) return 'entries must be an array of ledger rows';
  if (rows.length === 0) return 'entries is empty';
  if (rows.length > MAX_BATCH_ENTRIES) return `a batch holds at most ${MAX_BATCH_ENTRIES} entries, not ${rows.length}`;
  const ids = new Set<string>();
  for (const [i, r] of rows.entries()) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return `entries[${i}] is not a ledger row`;
    const row = r as Record<string, unknown>;
    const extra = Object.keys(row).filter((k) => !(ROW_FIELDS as readonly string[]).includes(k));
    if (extra.length > 0) return `entries[${i}] has fields a ledger row does not: ${extra.join(', ')}`;
    if (!Number.isSafeInteger(row.seq) || (row.seq as number) < 1) return `entries[${i}].seq must be a positive integer`;
    for (const f of ['entry_id', 'at', 'kind', 'payload', 'prev_hash', 'hash', 'signature'] as const) {
      if (typeof row[f] !== 'string') return `entries[${i}].${f} must be a string`;
    }
    if (row.tx_id !== null && typeof row.tx_id !== 'string') return `entries[${i}].tx_id must be a string or null`;
    if (i > 0 && row.seq !== (rows[0] as EntryRow).seq + i) return `entries must have consecutive seqs in ascending order: entries[${i}].seq is ${String(row.seq)}, expected ${(rows[0] as EntryRow).seq + i}`;
    if (ids.has(row.entry_id as string)) return `entries[${i}].entry_id repeats an earlier entry of this batch`;
    ids.add(row.entry_id as string);
  }
  return rows as EntryRow[];
}

/**
 * The first new row that fails, with why. Cheap checks for the whole batch
 * first (link, hash, payload); signatures then only below the first cheap
 * failure, since only an earlier failure could change the answer. Many
 * signatures go to the worker pool (signature-pool.ts); should it fail, they
 * are checked here.
 */
async function verifyNewRows(rows: readonly EntryRow[], prevHash: string, key: KeyObject, publicKeyPem: string): Promise<{ seq: number; reason: string } | null> {
  let cheapBad: { seq: number; reason: string } | null = null;
  let prev = prevHash;
  for (const row of rows) {
    const reason = cheapCheck(row, prev);
    if (reason !== null) {
      cheapBad = { seq: row.seq, reason };
      break;
    }
    prev = row.hash;
  }
  const signed = cheapBad === null ? rows : rows.filter((r) => r.seq < cheapBad.seq);
  const badSignature = (row: EntryRow) => ({ seq: row.seq, reason: "signature does not verify with the kiosk's enrolled key" });
  const pool = signed.length >= POOL_MIN_SIGNATURES ? signaturePool() : null;
  if (pool !== null) {
    const bad = await pool.firstBad(publicKeyPem, signed).catch(() => null);
    if (bad !== null) return bad >= 0 ? badSignature(signed[bad]!) : cheapBad;
  }
  for (const row of signed) {
    if (!signatureVerifies(row.hash, row.signature, key)) return badSignature(row);
  }
  return cheapBad;
}

/** Everything about a row but its signature, as src/ledger/verify.ts checks it. */
function cheapCheck(row: EntryRow, prev_hash: string): string | null {
  if (row.prev_hash !== prev_hash) return 'previous-hash link is broken';
  let hash;
  try {
    hash = entryHash({ seq: row.seq, entry_id: row.entry_id, at: row.at, payload_json: row.payload, prev_hash: row.prev_hash });
  } catch (e) {
    return `entry is malformed: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (hash !== row.hash) return 'hash does not match the entry';
  let payload;
  try {
    payload = parsePayload(JSON.parse(row.payload));
  } catch (e) {
    return `payload is malformed: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (canonicalJson(payload) !== row.payload) return 'payload is not in canonical form';
  if (payload.kind !== row.kind) return 'kind column disagrees with the payload';
  if (txIdOf(payload) !== row.tx_id) return 'tx_id column disagrees with the payload';
  return null;
}

/** Inserts stored rows inside the caller's transaction (bench:server times the same call without verification as its baseline). */
export async function insertEntries(trx: Trx, rows: readonly Insertable<EntriesTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx.insertInto('entries').values(rows.slice(i, i + INSERT_CHUNK)).execute();
  }
}

/** A verified ledger row as the back office stores it. */
export function toStored(kiosk_id: string, row: EntryRow, received_at: string): Insertable<EntriesTable> {
  return { kiosk_id, ...pick(row), received_at, ...projectEntry(row) };
}

function pick(row: EntryRow): HeldRow {
  return { seq: row.seq, entry_id: row.entry_id, at: row.at, kind: row.kind, tx_id: row.tx_id, payload: row.payload, prev_hash: row.prev_hash, hash: row.hash, signature: row.signature };
}

/**
 * Keeps each offered row that differs from a held one (once: a kiosk retrying
 * the same batch adds nothing) and raises one critical exception per new piece
 * of evidence. The evidence says whether the offered row is itself intact and
 * signed by the kiosk's key: a signed fork means the kiosk's ledger was rolled
 * back or copied; an unsigned one means the row changed after it was signed.
 */
async function refuseConflicts(
  trx: Trx,
  kiosk_id: string,
  key: KeyObject,
  conflicts: readonly { row: EntryRow; held: HeldRow }[],
  heldBySeq: ReadonlyMap<number, HeldRow>,
  received_at: string,
): Promise<IngestRefusal> {
  for (const { row, held } of conflicts) {
    const offered_row = JSON.stringify(pick(row));
    const known = await trx.selectFrom('sync_evidence').select('id').where('kiosk_id', '=', kiosk_id).where('seq', '=', row.seq).where('offered_row', '=', offered_row).executeTakeFirst();
    if (known !== undefined) continue;
    const links = row.seq === 1 ? GENESIS_HASH : heldBySeq.get(row.seq - 1)?.hash;
    const intact = cheapCheck(row, row.prev_hash) === null;
    const signed = signatureVerifies(row.hash, row.signature, key);
    const what = held.seq === row.seq ? `differs from the entry held under seq ${row.seq}` : `reuses entry_id ${row.entry_id}, held under seq ${held.seq}`;
    const reason = `${what}; offered entry ${intact ? 'is intact' : 'does not hash to its own hash'}, ${signed ? 'is signed' : 'is NOT signed'} by the kiosk's enrolled key${links === undefined ? '' : `, ${row.prev_hash === links ? 'chains' : 'does not chain'} onto the held entry before it`}`;
    await trx.insertInto('sync_evidence').values({ kiosk_id, seq: row.seq, offered_row, reason, received_at }).execute();
    await trx
      .insertInto('exceptions')
      .values({
        kind: 'sync_conflict',
        severity: 'critical',
        kiosk_id,
        card_ref: null,
        tx_id: row.tx_id,
        business_date: null,
        explanation:
          signed && intact
            ? `Kiosk ${kiosk_id} signed two different entries under number ${row.seq}: its ledger was rolled back, copied or rewritten. The entry already held was kept; the new one is kept as evidence.`
            : `Kiosk ${kiosk_id} sent entry ${row.seq} changed from the one it sent before (${signed ? 'signed' : 'not validly signed'}). The entry already held was kept; the changed one is kept as evidence.`,
        detail: JSON.stringify({ seq: row.seq, held_hash: held.hash, held_seq: held.seq, offered_hash: row.hash, intact, signed_by_kiosk: signed, reason }),
        raised_at: received_at,
      })
      .execute();
  }
  const seq = conflicts[0]!.row.seq;
  return {
    ok: false,
    status: 409,
    error: 'conflict',
    seq,
    message: `entry ${seq} differs from the entry the back office already holds for this kiosk; nothing was stored, the offered entry is kept as evidence and an exception was raised`,
  };
}
