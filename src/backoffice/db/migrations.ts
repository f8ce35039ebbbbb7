import { Migrator, PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { downlinkMigration } from '../downlink/tables';
import { parkingMigration } from '../parking/tables';
import { cardBookMigration } from '../reconcile/tables';

// The back office's schema, one list of migrations for SQLite and PostgreSQL.
// Kysely's Migrator records what ran in kysely_migration (and locks, so two
// servers starting at once do not both migrate). Never edit a migration that
// has shipped: add the next one. The tables are those of schema.ts.

/** The one place the two dialects differ: how a generated integer key is spelled. */
type Flavour = { autoId: 'serial' | 'integer' };

// Kysely's schema builder is untyped by design (it creates the tables the types describe).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function migrations(f: Flavour): Record<string, Migration> {
  return {
    '0001_sync_store': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('kiosks')
          .addColumn('kiosk_id', 'text', (c) => c.primaryKey())
          .addColumn('public_key_pem', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text')
          .addColumn('status', 'text', (c) => c.notNull().check(sqlIn('status', ['active', 'revoked'])))
          .addColumn('enrolled_at', 'text', (c) => c.notNull())
          .addColumn('enrolled_by', 'text', (c) => c.notNull())
          .addColumn('last_sync_at', 'text')
          .execute();

        await db.schema
          .createTable('entries')
          .addColumn('kiosk_id', 'text', (c) => c.notNull().references('kiosks.kiosk_id'))
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('entry_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('tx_id', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('signature', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('at_ms', 'bigint', (c) => c.notNull())
          .addColumn('card_ref', 'text')
          .addColumn('service', 'text')
          .addColumn('direction', 'text', (c) => c.check(sqlIn('direction', ['debit', 'credit'])))
          .addColumn('amount_minor', 'bigint')
          .addColumn('balance_before_minor', 'bigint')
          .addColumn('balance_after_minor', 'bigint')
          .addColumn('tmac_counter', 'bigint')
          .addColumn('tmac_value', 'text')
          .addColumn('outcome', 'text')
          .addColumn('service_ref', 'text')
          .addColumn('reverses_tx_id', 'text')
          .addColumn('shift_id', 'text')
          .addPrimaryKeyConstraint('entries_pk', ['kiosk_id', 'seq'])
          .addUniqueConstraint('entries_kiosk_entry_id', ['kiosk_id', 'entry_id'])
          .execute();
        await db.schema.createIndex('entries_card_time').on('entries').columns(['card_ref', 'at_ms']).execute();
        await db.schema.createIndex('entries_tx').on('entries').column('tx_id').execute();
        await db.schema.createIndex('entries_kind_time').on('entries').columns(['kind', 'at_ms']).execute();

        await db.schema
          .createTable('sync_evidence')
          .addColumn('id', f.autoId, (c) => (f.autoId === 'serial' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('kiosk_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('offered_row', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sync_evidence_kiosk_seq').on('sync_evidence').columns(['kiosk_id', 'seq']).execute();

        await db.schema
          .createTable('exceptions')
          .addColumn('id', f.autoId, (c) => (f.autoId === 'serial' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull().check(sqlIn('severity', ['info', 'warning', 'critical'])))
          .addColumn('kiosk_id', 'text')
          .addColumn('card_ref', 'text')
          .addColumn('tx_id', 'text')
          .addColumn('business_date', 'text')
          .addColumn('explanation', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('raised_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('exceptions_kind_date').on('exceptions').columns(['kind', 'business_date']).execute();
        await db.schema.createIndex('exceptions_kiosk').on('exceptions').column('kiosk_id').execute();

        await db.schema
          .createTable('nonces')
          .addColumn('kiosk_id', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('seen_ms', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('nonces_pk', ['kiosk_id', 'nonce'])
          .execute();
        await db.schema.createIndex('nonces_seen').on('nonces').column('seen_ms').execute();
      },
    },
    // Bundles and hotlist versions sent to kiosks (src/backoffice/downlink/tables.ts).
    '0002_downlink': downlinkMigration,
    // Staff who log in to the dashboard (docs/dashboard.md), their sessions, and
    // what each kiosk last said about its own outbox (optional in a batch).
    '0003_dashboard_accounts': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('users')
          .addColumn('username', 'text', (c) => c.primaryKey())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull().check(sqlIn('role', ['finance', 'administrator'])))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('username', 'text', (c) => c.notNull().references('users.username'))
          .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_username').on('sessions').column('username').execute();
        await db.schema
          .createTable('kiosk_outbox_reports')
          .addColumn('kiosk_id', 'text', (c) => c.primaryKey().references('kiosks.kiosk_id'))
          .addColumn('unsynced', 'bigint', (c) => c.notNull())
          .addColumn('oldest_at', 'text')
          .addColumn('reported_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // Parking sessions (plate hashes), paid citations, and their upload evidence (src/backoffice/parking/tables.ts).
    '0004_parking': parkingMigration(f.autoId),
    // Lost cards' balances authorised for their replacements (docs/lost-card.md).
    '0005_replacement_credits': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('replacement_credits')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('code', 'text', (c) => c.notNull().unique())
          .addColumn('old_card_ref', 'text', (c) => c.notNull())
          .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor >= 0`))
          .addColumn('hotlisted_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sqlIn('status', ['pending', 'used'])))
          .addColumn('used_tx_id', 'text')
          .addColumn('used_by_kiosk', 'text')
          .addColumn('used_at', 'text')
          .execute();
        await db.schema.createIndex('replacement_credits_card').on('replacement_credits').column('old_card_ref').execute();
      },
    },
    // The card book reconciliation folds new entries into, so a night's work follows the new entries, not all history (src/backoffice/reconcile/tables.ts).
    '0006_card_book': cardBookMigration(),
  };
}

function sqlIn(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

export class BackOfficeMigrationError extends Error {
  override name = 'BackOfficeMigrationError';
}

export function flavourOf(db: AnyDb): Flavour {
  return { autoId: db.getExecutor().adapter instanceof PostgresAdapter ? 'serial' : 'integer' };
}

/** Brings the store up to this build's schema. Refuses a store migrated by a newer build. */
export async function migrateBackOffice(db: AnyDb): Promise<void> {
  const all = migrations(flavourOf(db));
  const provider: MigrationProvider = { getMigrations: async () => all };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const why = error instanceof Error ? error.message : String(error);
    throw new BackOfficeMigrationError(failed === undefined ? `back-office schema: ${why}` : `back-office migration ${failed} failed: ${why}`);
  }
}

/** The migration names this build knows, oldest first. */
export const BACK_OFFICE_MIGRATIONS: readonly string[] = Object.keys(migrations({ autoId: 'integer' })).sort();
