import { createPublicKey, type KeyObject } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { BackOfficeDb } from '../db/schema';
import { projectEntry, type EntryProjection } from '../project';
import { GENESIS_HASH } from '../../ledger/encoding';
import type { EntryKind } from '../../ledger/payload';
import type { EntryRow } from '../../ledger/entry';
import { checkEntryRow } from '../../ledger/verify';
import { int, intOrNull } from './card-events';
import { SEQ_BUCKET_MS } from './fold';
import type { BusinessDay } from './day';
import type { ReconException } from './exceptions';

// Each kiosk's entries of the day, re-verified as stored: gapless seqs, each
// prev_hash the hash before it (the day's first entry links to the one held
// before it), each hash recomputed from the stored bytes, each signature by the
// kiosk's enrolled key, each payload well-formed (src/ledger/verify.ts, the
// same check the kiosk and ingest use). And the projection columns every other
// check reads must be exactly what the signed payload says: a changed
// amount_minor column would otherwise change the figures without breaking a
// signature. Read in pages of PAGE rows, never a whole day at once.

const PAGE = 2_000;

export interface ChainReport {
  kiosk_id: string;
  name: string | null;
  first_seq: number;
  last_seq: number;
  entries_checked: number;
  ok: boolean;
  first_bad_seq: number | null;
  reason: string | null;
}

const PROJECTED = ['at_ms', 'card_ref', 'service', 'direction', 'amount_minor', 'balance_before_minor', 'balance_after_minor', 'tmac_counter', 'tmac_value', 'outcome', 'service_ref', 'reverses_tx_id', 'shift_id'] as const;
const NUMERIC = new Set(['at_ms', 'amount_minor', 'balance_before_minor', 'balance_after_minor', 'tmac_counter']);

export async function checkChains(db: Kysely<BackOfficeDb>, day: BusinessDay): Promise<{ kiosks: ChainReport[]; exceptions: ReconException[] }> {
  const ranges = await dayRanges(db, day);
  const kiosks: ChainReport[] = [];
  const exceptions: ReconException[] = [];
  for (const r of ranges) {
    const report = await checkKiosk(db, r.kiosk_id, createPublicKey(r.public_key_pem), int(r.first_seq), int(r.last_seq));
    kiosks.push({ kiosk_id: r.kiosk_id, name: r.name, ...report });
    if (!report.ok) {
      const missing = report.reason!.startsWith('entry ') && report.reason!.includes('is missing');
      exceptions.push({
        kind: missing ? 'entries_missing' : report.reason!.startsWith('projection') ? 'projection_mismatch' : 'chain_broken',
        severity: 'critical',
        kiosk_id: r.kiosk_id,
        card_ref: null,
        tx_id: null,
        explanation: `Kiosk ${r.name ?? r.kiosk_id}: entry ${report.first_bad_seq} fails verification (${report.reason}). Its figures from there on cannot be trusted until the kiosk's own ledger is checked.`,
        detail: { first_bad_seq: report.first_bad_seq, reason: report.reason, first_seq: report.first_seq, last_seq: report.last_seq },
      });
    }
  }
  return { kiosks, exceptions };
}

interface DayRange {
  kiosk_id: string;
  name: string | null;
  public_key_pem: string;
  first_seq: number | string;
  last_seq: number | string;
}

/**
 * Each kiosk's first and last seq stamped in the day, from the quarter-hour
 * buckets the fold keeps (fold.ts), so finding them does not read the table;
 * a day whose bounds are not whole quarter hours is found the long way.
 */
async function dayRanges(db: Kysely<BackOfficeDb>, day: BusinessDay): Promise<DayRange[]> {
  if (day.start_ms % SEQ_BUCKET_MS === 0 && day.end_ms % SEQ_BUCKET_MS === 0) {
    const { rows } = await sql<DayRange>`
      SELECT b.kiosk_id, k.name, k.public_key_pem, MIN(b.min_seq) AS first_seq, MAX(b.max_seq) AS last_seq
      FROM kiosk_seq_buckets b JOIN kiosks k ON k.kiosk_id = b.kiosk_id
      WHERE b.bucket_ms >= ${day.start_ms} AND b.bucket_ms < ${day.end_ms}
      GROUP BY b.kiosk_id, k.name, k.public_key_pem
      ORDER BY b.kiosk_id`.execute(db);
    return rows;
  }
  return db
    .selectFrom('entries as e')
    .innerJoin('kiosks as k', 'k.kiosk_id', 'e.kiosk_id')
    .select(['e.kiosk_id', 'k.name', 'k.public_key_pem'])
    .select((eb) => [eb.fn.min('e.seq').as('first_seq'), eb.fn.max('e.seq').as('last_seq')])
    .where('e.at_ms', '>=', day.start_ms)
    .where('e.at_ms', '<', day.end_ms)
    .groupBy(['e.kiosk_id', 'k.name', 'k.public_key_pem'])
    .orderBy('e.kiosk_id')
    .execute();
}

async function checkKiosk(db: Kysely<BackOfficeDb>, kiosk_id: string, key: KeyObject, first_seq: number, last_seq: number) {
  let prev = GENESIS_HASH;
  if (first_seq > 1) {
    const before = await db.selectFrom('entries').select('hash').where('kiosk_id', '=', kiosk_id).where('seq', '=', first_seq - 1).executeTakeFirst();
    if (before === undefined) return bad(first_seq - 1, `entry ${first_seq - 1} is missing (the day starts at ${first_seq})`);
    prev = before.hash;
  }
  let expected = first_seq;
  let checked = 0;
  function bad(seq: number, reason: string) {
    return { first_seq, last_seq, entries_checked: checked, ok: false, first_bad_seq: seq, reason };
  }
  while (expected <= last_seq) {
    const rows = await db
      .selectFrom('entries')
      .selectAll()
      .where('kiosk_id', '=', kiosk_id)
      .where('seq', '>=', expected)
      .where('seq', '<=', last_seq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) return bad(expected, `entry ${expected} is missing`);
    for (const stored of rows) {
      const row: EntryRow = { ...stored, seq: int(stored.seq), kind: stored.kind as EntryKind };
      if (row.seq !== expected) return bad(expected, `entry ${expected} is missing (next held is ${row.seq})`);
      const wrong = checkEntryRow(row, prev, key);
      if (wrong !== null) return bad(row.seq, wrong);
      const drift = projectionDrift(stored, projectEntry(row));
      if (drift !== null) return bad(row.seq, `projection column ${drift} disagrees with the signed payload`);
      prev = row.hash;
      expected++;
      checked++;
    }
  }
  return { first_seq, last_seq, entries_checked: checked, ok: true, first_bad_seq: null, reason: null };
}

function projectionDrift(stored: Record<string, unknown>, expected: EntryProjection): string | null {
  for (const col of PROJECTED) {
    const have = NUMERIC.has(col) ? intOrNull(stored[col]) : (stored[col] ?? null);
    if (have !== expected[col]) return col;
  }
  return null;
}
