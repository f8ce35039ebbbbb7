import type { Kysely } from 'kysely';
import type { BackOfficeDb } from '../db/schema';
import type { BusinessDay } from './day';

/** What every check gets: the store, the day, and how to name a kiosk in plain words. */
export interface ReconcileContext {
  db: Kysely<BackOfficeDb>;
  day: BusinessDay;
  kioskName(kiosk_id: string): string;
}

export async function reconcileContext(db: Kysely<BackOfficeDb>, day: BusinessDay): Promise<ReconcileContext> {
  const rows = await db.selectFrom('kiosks').select(['kiosk_id', 'name']).execute();
  const names = new Map(rows.map((r) => [r.kiosk_id, r.name ?? `kiosk ${r.kiosk_id.slice(0, 8)}`]));
  return { db, day, kioskName: (id) => names.get(id) ?? `unenrolled kiosk ${id.slice(0, 8)}` };
}
