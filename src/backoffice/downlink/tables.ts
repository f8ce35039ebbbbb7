import { sql, type Kysely, type Migration } from 'kysely';

// The downlink's tables, added to the back office's migration list as one
// migration (docs/downlink.md). Versions are the primary keys, so the database
// itself refuses a version taken twice.

// A type, not an interface: Kysely's withTables needs an indexable shape.
export type DownlinkTables = {
  downlink_bundles: { version: number; document: string; published_at: string };
  hotlist_changes: { version: number; card_ref: string; action: 'add' | 'remove'; changed_at: string };
};

// Kysely's schema builder is untyped by design (it creates the tables the types describe).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const downlinkMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('downlink_bundles')
      .addColumn('version', 'bigint', (c) => c.primaryKey())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('published_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('hotlist_changes')
      .addColumn('version', 'bigint', (c) => c.primaryKey())
      .addColumn('card_ref', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('add', 'remove')`))
      .addColumn('changed_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable('hotlist_changes').execute();
    await db.schema.dropTable('downlink_bundles').execute();
  },
};
