import type { Kysely } from 'kysely';
import type { DownlinkRepository, HotlistChange, StoredBundle } from './repository';
import type { DownlinkTables } from './tables';

// The downlink repository on the back office's store (SQLite or PostgreSQL).
// A version already taken is a primary-key conflict, answered as "taken"
// (publish.ts then tries the next one).

export class KyselyDownlinkRepository implements DownlinkRepository {
  constructor(private readonly db: Kysely<DownlinkTables>) {}

  /** On the back office's store, whose schema type does not name the downlink's tables (they are this folder's). */
  static on<DB>(db: Kysely<DB>): KyselyDownlinkRepository {
    // Kysely's database type is invariant; these queries touch the downlink tables only.
    return new KyselyDownlinkRepository(db.withTables<DownlinkTables>() as unknown as Kysely<DownlinkTables>);
  }

  async latestBundle(): Promise<StoredBundle | null> {
    const row = await this.db.selectFrom('downlink_bundles').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? null : { ...row, version: Number(row.version) };
  }

  async insertBundle(bundle: StoredBundle): Promise<boolean> {
    const result = await this.db.insertInto('downlink_bundles').values(bundle).onConflict((oc) => oc.column('version').doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async latestHotlistVersion(): Promise<number> {
    const row = await this.db.selectFrom('hotlist_changes').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? 0 : Number(row.version);
  }

  async hotlistChangesAfter(version: number): Promise<HotlistChange[]> {
    const rows = await this.db.selectFrom('hotlist_changes').selectAll().where('version', '>', version).orderBy('version').execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  async insertHotlistChange(change: HotlistChange): Promise<boolean> {
    const result = await this.db.insertInto('hotlist_changes').values(change).onConflict((oc) => oc.column('version').doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
}
