import type { Kysely } from 'kysely';
import type { BackOfficeStore } from '../db/connect';
import { normalizePlate, plateHash, plateKeyId } from '../../shared/plates';
import type { ParkingTables } from './tables';

// Enforcement's question — has this plate paid to park here now? — answered
// from the plates' keyed hashes: the officer's plate is hashed under the
// city's plate key and matched. Without the key, the table says nothing about
// which car parked where. Staff only (the CLI); kiosks are never answered.

export interface PlateLookup {
  plate_key: Buffer;
  /** As the officer reads it: `abc-123` and `ABC123` are one plate. */
  plate: string;
  /** The instant asked about (default now). */
  at: Date;
  /** A zone's curb_zone_id; any zone when absent. */
  zone?: string;
}

export interface PlateLookupAnswer {
  at: string;
  paid: boolean;
  /** The paid sessions covering `at` (start inclusive, end exclusive), latest end first. */
  sessions: { zone: string; space: string | null; start: string; end: string }[];
  /** Paid sessions covering `at` (in the zone) hashed under another plate key: this lookup cannot see whose they are. */
  other_key_sessions: number;
}

export class PlateLookupError extends Error {
  override name = 'PlateLookupError';
}

const tables = (store: BackOfficeStore) => store.db.withTables<ParkingTables>() as unknown as Kysely<ParkingTables>;

export async function lookupPlate(store: BackOfficeStore, q: PlateLookup): Promise<PlateLookupAnswer> {
  const plate = normalizePlate(q.plate);
  if (plate === null) throw new PlateLookupError('the plate must be 1 to 10 letters and digits (spaces and dashes are ignored)');
  const at_ms = q.at.getTime();
  if (!Number.isFinite(at_ms)) throw new PlateLookupError('the instant asked about is not a time');
  const key_id = plateKeyId(q.plate_key);
  const covering = tables(store)
    .selectFrom('parking_sessions')
    .where('status', '=', 'paid')
    .where('start_ms', '<=', at_ms)
    .where('end_ms', '>', at_ms)
    .$if(q.zone !== undefined, (b) => b.where('zone', '=', q.zone!));
  const rows = await covering
    .select(['zone', 'space', 'start_at', 'end_at'])
    .where('plate_hash', '=', plateHash(q.plate_key, plate))
    .where('plate_key_id', '=', key_id)
    .orderBy('end_ms', 'desc')
    .execute();
  const other = await covering.select((eb) => eb.fn.countAll<number>().as('n')).where('plate_key_id', '<>', key_id).where('plate_hash', 'is not', null).executeTakeFirst();
  return {
    at: q.at.toISOString(),
    paid: rows.length > 0,
    sessions: rows.map((r) => ({ zone: r.zone, space: r.space, start: r.start_at, end: r.end_at })),
    other_key_sessions: Number(other?.n ?? 0),
  };
}

/** Retention: sessions that ended more than `older_than_days` ago go, and evidence about sessions received that long ago. */
export async function purgeParking(store: BackOfficeStore, opts: { older_than_days: number; now: Date }): Promise<{ purged: number; evidence_purged: number }> {
  const days = opts.older_than_days;
  if (!Number.isInteger(days) || days < 1 || days > 3_650) throw new RangeError(`older_than_days must be a whole number of days from 1 to 3650, not ${days}`);
  const cutoff_ms = opts.now.getTime() - days * 86_400_000;
  const db = tables(store);
  const sessions = await db.deleteFrom('parking_sessions').where('end_ms', '<', cutoff_ms).executeTakeFirst();
  const evidence = await db.deleteFrom('upload_evidence').where('kind', '=', 'parking_session').where('received_at', '<', new Date(cutoff_ms).toISOString()).executeTakeFirst();
  return { purged: Number(sessions.numDeletedRows), evidence_purged: Number(evidence.numDeletedRows) };
}
