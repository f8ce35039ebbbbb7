import { sql, type Generated, type Kysely, type Migration } from 'kysely';

// What kiosks tell the back office about parking sessions and paid citations
// (docs/sync-protocol.md), added to the back office's migration list as one
// migration. A session row carries the plate's keyed hash, never the plate;
// rows are purged some days after the session ends (lookup.ts).

// A type, not an interface: Kysely's withTables needs an indexable shape.
export type ParkingTables = {
  parking_sessions: {
    /** `pk:<uuid>`: the service_ref of the ledger intent that paid it, so reconciliation can match money to time. */
    session_id: string;
    kiosk_id: string;
    /** Which plate key hashed `plate_hash` (src/shared/plates.ts plateKeyId). */
    plate_key_id: string;
    zone: string;
    space: string | null;
    plate_hash: string | null;
    /** ISO 8601 with the kiosk's offset, as the kiosk sent them. */
    stay_start: string;
    start_at: string;
    end_at: string;
    start_ms: number;
    end_ms: number;
    status: 'paid' | 'cancelled';
    received_at: string;
    updated_at: string;
  };
  paid_citations: {
    tx_id: string;
    citation_number: string;
    kiosk_id: string;
    received_at: string;
  };
  /** Records a kiosk offered that contradict what is held: kept, never applied (like sync_evidence for entries). */
  upload_evidence: {
    id: Generated<number>;
    kiosk_id: string;
    kind: 'parking_session' | 'paid_citation';
    record_id: string;
    offered: string;
    reason: string;
    received_at: string;
  };
};

// Kysely's schema builder is untyped by design (it creates the tables the types describe).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function parkingMigration(autoId: 'serial' | 'integer'): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('parking_sessions')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('kiosk_id', 'text', (c) => c.notNull())
        .addColumn('plate_key_id', 'text', (c) => c.notNull())
        .addColumn('zone', 'text', (c) => c.notNull())
        .addColumn('space', 'text')
        .addColumn('plate_hash', 'text')
        .addColumn('stay_start', 'text', (c) => c.notNull())
        .addColumn('start_at', 'text', (c) => c.notNull())
        .addColumn('end_at', 'text', (c) => c.notNull())
        .addColumn('start_ms', 'bigint', (c) => c.notNull())
        .addColumn('end_ms', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('paid', 'cancelled')`))
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_sessions_plate_end').on('parking_sessions').columns(['plate_hash', 'end_ms']).execute();
      await db.schema.createIndex('parking_sessions_end').on('parking_sessions').column('end_ms').execute();

      await db.schema
        .createTable('paid_citations')
        .addColumn('tx_id', 'text', (c) => c.primaryKey())
        .addColumn('citation_number', 'text', (c) => c.notNull())
        .addColumn('kiosk_id', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('paid_citations_number').on('paid_citations').column('citation_number').execute();

      await db.schema
        .createTable('upload_evidence')
        .addColumn('id', autoId, (c) => (autoId === 'serial' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('kiosk_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text', (c) => c.notNull())
        .addColumn('offered', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('upload_evidence').execute();
      await db.schema.dropTable('paid_citations').execute();
      await db.schema.dropTable('parking_sessions').execute();
    },
  };
}
