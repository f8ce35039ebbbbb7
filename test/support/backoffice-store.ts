import { createHash, generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { BackOfficeDb } from '../../src/backoffice/db/schema';
import { projectEntry } from '../../src/backoffice/project';
import { KioskLedger, openLedgerDatabase, type KioskKey, type PayloadInput } from '../../src/ledger';
import type { EntryRow } from '../../src/ledger/entry';
import { newTxId } from '../../src/shared/ids';
import { startTempPostgres, type TempPostgres } from './reconcile-postgres';

// A back-office store fed by real kiosk ledgers: each TestKiosk is a
// KioskLedger (in memory, real rules, hashes and signatures) whose rows are
// copied into `entries` with their projection, as ingest does.
//
// TEMPORARY: the tables are created here mirroring src/backoffice/db/schema.ts
// until the back-office migrations (migrateBackOffice), ingestBatch and
// startPostgres land on main; then createTables, sync and the PostgreSQL
// store switch to them.

export async function createTables(db: Kysely<BackOfficeDb>, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  await db.schema
    .createTable('kiosks')
    .addColumn('kiosk_id', 'text', (c) => c.primaryKey())
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', 'text', (c) => c.notNull())
    .addColumn('enrolled_by', 'text', (c) => c.notNull())
    .addColumn('last_sync_at', 'text')
    .execute();
  let entries = db.schema
    .createTable('entries')
    .addColumn('kiosk_id', 'text', (c) => c.notNull())
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
    .addColumn('at_ms', 'bigint', (c) => c.notNull());
  for (const col of ['card_ref', 'service', 'direction', 'tmac_value', 'outcome', 'service_ref', 'reverses_tx_id', 'shift_id'] as const) entries = entries.addColumn(col, 'text');
  for (const col of ['amount_minor', 'balance_before_minor', 'balance_after_minor', 'tmac_counter'] as const) entries = entries.addColumn(col, 'bigint');
  await entries.addPrimaryKeyConstraint('entries_pk', ['kiosk_id', 'seq']).addUniqueConstraint('entries_entry_id', ['kiosk_id', 'entry_id']).execute();
  // The indexes reconciliation relies on (docs/reconciliation.md, "Scale").
  await db.schema.createIndex('entries_tx').on('entries').columns(['kiosk_id', 'tx_id']).execute();
  await db.schema.createIndex('entries_card').on('entries').columns(['card_ref', 'tmac_counter']).execute();
  await db.schema.createIndex('entries_at').on('entries').columns(['at_ms']).execute();
  await db.schema.createIndex('entries_kind_at').on('entries').columns(['kind', 'at_ms']).execute();
  await db.schema
    .createTable('sync_evidence')
    .addColumn('id', engine === 'postgres' ? 'serial' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kiosk_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('offered_row', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('exceptions')
    .addColumn('id', engine === 'postgres' ? 'serial' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('kiosk_id', 'text')
    .addColumn('card_ref', 'text')
    .addColumn('tx_id', 'text')
    .addColumn('business_date', 'text')
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('nonces').addColumn('kiosk_id', 'text').addColumn('nonce', 'text').addColumn('seen_ms', 'bigint').execute();
}

export interface TestStore {
  name: string;
  /** Once per test file (beforeAll): start the engine. */
  start(): Promise<void>;
  /** Once per test file (afterAll). */
  stop(): Promise<void>;
  /** A fresh, empty store with the tables. */
  open(): Promise<{ db: Kysely<BackOfficeDb>; close(): Promise<void> }>;
}

function sqliteStore(): TestStore {
  return {
    name: 'sqlite',
    start: async () => {},
    stop: async () => {},
    async open() {
      const db = new Kysely<BackOfficeDb>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
      await createTables(db);
      return { db, close: () => db.destroy() };
    },
  };
}

/** A real PostgreSQL server per test file, a new database per test. */
function postgresStore(): TestStore {
  let server: TempPostgres | undefined;
  let n = 0;
  return {
    name: 'postgres',
    async start() {
      server = await startTempPostgres();
    },
    async stop() {
      server?.stop();
    },
    async open() {
      if (server === undefined) throw new Error('the PostgreSQL test server was not started (call start() in beforeAll)');
      const admin = new pg.Client({ connectionString: `${server.url}/postgres` });
      await admin.connect();
      const name = `recon_${process.pid}_${++n}`;
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const db = new Kysely<BackOfficeDb>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: `${server.url}/${name}`, max: 2 }) }) });
      await createTables(db, 'postgres');
      return { db, close: () => db.destroy() };
    },
  };
}

/** Every engine the back office runs on: SQLite (embedded) and PostgreSQL (production). */
export function testStores(): TestStore[] {
  return [sqliteStore(), postgresStore()];
}

/** One clock for every kiosk of a scenario: set it, and each reading steps one second. */
export class ScenarioClock {
  private t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  readonly now = (): Date => {
    const d = new Date(this.t);
    this.t += 1_000;
    return d;
  };
}

export function testKioskKey(): KioskKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function kioskIdOf(key: KioskKey): string {
  return createHash('sha256').update(key.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

/** A card as the kiosks see it: its reference, balance and Transaction MAC counter. */
export class TestCard {
  constructor(
    readonly card_ref: string,
    public balance: number,
    public counter: number,
  ) {}
}

let tmacSeed = 0;
function tmacValue(): string {
  return createHash('sha256').update(`tmac-${++tmacSeed}`).digest('hex').slice(0, 16).toUpperCase();
}

export interface TxOptions {
  service_ref?: string | null;
  shift_id?: string | null;
  reverses_tx_id?: string | null;
}

/** Rows per insert: 22 columns each stays under SQLite's and PostgreSQL's bound-parameter limits. */
const SYNC_BATCH = 1_000;

export class TestKiosk {
  readonly key = testKioskKey();
  readonly kiosk_id = kioskIdOf(this.key);
  readonly ledger: KioskLedger;
  private synced = 0;

  constructor(
    readonly name: string,
    clock: ScenarioClock,
  ) {
    this.ledger = new KioskLedger(openLedgerDatabase(':memory:'), this.key, clock.now);
  }

  async enroll(db: Kysely<BackOfficeDb>): Promise<void> {
    await db.insertInto('kiosks').values({ kiosk_id: this.kiosk_id, public_key_pem: this.key.publicKeyPem, name: this.name, status: 'active', enrolled_at: new Date().toISOString(), enrolled_by: 'test' }).execute();
  }

  /** Copies the entries written since the last sync into the store, with their projection. */
  async sync(db: Kysely<BackOfficeDb>): Promise<void> {
    const rows = this.ledger.db.prepare('SELECT * FROM entries WHERE seq > ? ORDER BY seq').all(this.synced) as EntryRow[];
    if (rows.length === 0) return;
    const received_at = new Date().toISOString();
    for (let i = 0; i < rows.length; i += SYNC_BATCH) {
      await db
        .insertInto('entries')
        .values(rows.slice(i, i + SYNC_BATCH).map((r) => ({ kiosk_id: this.kiosk_id, ...r, received_at, ...projectEntry(r) })))
        .execute();
    }
    this.synced = rows.at(-1)!.seq;
  }

  /** An intent for `card`, not closed: returns the tx id and the payload's figures. */
  intent(card: TestCard, service: string, amount: number, opts: TxOptions = {}) {
    const credit = ['top_up', 'credit_back', 'opening_balance'].includes(service);
    const tx_id = newTxId();
    const after = credit ? card.balance + amount : card.balance - amount;
    this.ledger.appendIntent({
      kind: credit ? 'credit_intent' : 'intent',
      tx_id,
      service,
      card_ref: card.card_ref,
      amount_minor: amount,
      balance_before_minor: card.balance,
      expected_balance_after_minor: after,
      tmac_counter_before: card.counter,
      service_ref: opts.service_ref ?? (['library_fine', 'parking', 'citation'].includes(service) ? `fixed:${service}:Q-${tx_id.slice(-6)}` : null),
      reverses_tx_id: opts.reverses_tx_id ?? null,
      shift_id: opts.shift_id ?? null,
    } as PayloadInput as never);
    return { tx_id, credit, after, counter_before: card.counter };
  }

  /** A whole transaction the card committed; the card moves on. Services get their post and an accepted answer unless told otherwise. */
  pay(card: TestCard, service: string, amount: number, opts: TxOptions & { post?: 'accepted' | 'refused' | 'unanswered' | 'none' } = {}): string {
    const i = this.intent(card, service, amount, opts);
    this.commit(card, i);
    const post = opts.post ?? 'accepted';
    if (['library_fine', 'parking', 'citation'].includes(service) && post !== 'none') {
      this.ledger.append({ kind: 'service_post', tx_id: i.tx_id });
      if (post !== 'unanswered') this.ledger.append({ kind: 'service_result', tx_id: i.tx_id, outcome: post });
    }
    return i.tx_id;
  }

  commit(card: TestCard, i: { tx_id: string; credit: boolean; after: number; counter_before: number }): void {
    this.ledger.append({ kind: i.credit ? 'credit_committed' : 'committed', tx_id: i.tx_id, balance_after_minor: i.after, tmac_counter: i.counter_before + 1, tmac_value: tmacValue() });
    card.balance = i.after;
    card.counter = i.counter_before + 1;
  }

  openShift(float: number): string {
    const shift_id = newTxId();
    this.ledger.append({ kind: 'shift_opened', shift_id, staff_ref: 'staff-17', opening_float_minor: float });
    return shift_id;
  }

  closeShift(shift_id: string, counted: number): void {
    this.ledger.append({ kind: 'shift_closed', shift_id, staff_ref: 'staff-17', expected_minor: this.ledger.shiftExpectedCashMinor(shift_id), counted_minor: counted });
  }
}

export async function countRows(db: Kysely<BackOfficeDb>, table: 'exceptions' | 'entries'): Promise<number> {
  const r = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(r.rows[0]!.n);
}
