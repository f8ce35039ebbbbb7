import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateBackOffice } from './migrations';
import type { BackOfficeDb } from './schema';

// Opening the back-office store: SQLite (embedded, nothing to install) or
// PostgreSQL (production), behind the one Kysely type, so every query and
// migration is written once for both.

export type BackOfficeDialect = 'sqlite' | 'postgres';

export interface BackOfficeStore {
  db: Kysely<BackOfficeDb>;
  dialect: BackOfficeDialect;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply the migrations on open (default). Off only for the migration tests. */
  migrate?: boolean;
}

/** PostgreSQL's int8 (bigint) arrives as a string; every bigint here (seq, epoch ms, minor units) is far below 2^53. */
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (text) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${text} is beyond what the back office reads exactly`);
  return n;
});

export class BackOfficeUrlError extends Error {
  override name = 'BackOfficeUrlError';
}

/** `sqlite:FILE`, `sqlite::memory:` or `postgres://…` (also `postgresql://…`). */
export async function openBackOfficeDb(url: string, opts: OpenOptions = {}): Promise<BackOfficeStore> {
  const store = connect(url);
  if (opts.migrate !== false) {
    try {
      await migrateBackOffice(store.db);
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  return store;
}

function connect(url: string): BackOfficeStore {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '') throw new BackOfficeUrlError('sqlite: needs a file name, e.g. sqlite:civicard-backoffice.db (or sqlite::memory:)');
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<BackOfficeDb>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const db = new Kysely<BackOfficeDb>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  throw new BackOfficeUrlError(`--db must be sqlite:FILE, sqlite::memory: or postgres://…, not ${redactUrl(url)}`);
}

/** A database URL fit for a message: the password, if any, left out. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}
