import Database from 'better-sqlite3';
import { migrate, MIGRATIONS } from './migrations';

// Opening the ledger database. better-sqlite3 runs WAL databases with
// synchronous=NORMAL unless told otherwise, which can lose the last commits on
// power loss; the ledger needs FULL (every commit fsyncs the WAL), so it is set
// explicitly and read back on every open, before every append and once more
// after the first write — and the ledger refuses to record money otherwise.

const SYNCHRONOUS_FULL = 2;

/**
 * SQLite's page cache, per connection. better-sqlite3 builds SQLite with a
 * 16 MiB default, which a growing ledger fills page by page: the kiosk's RSS
 * grew by those 16 MiB over 10,000 payments (bench:kiosk). What an append and
 * the kiosk's queries touch (the tail of the entries, the index pages on the
 * way to it) fits in far less; the rest of the file stays in the OS page cache.
 */
const CACHE_SIZE_KIB = 2_048;

export class LedgerDurabilityError extends Error {
  override name = 'LedgerDurabilityError';
}

export class LedgerSchemaError extends Error {
  override name = 'LedgerSchemaError';
}

/** Reads the settings back; throws unless the connection commits with synchronous=FULL in WAL mode. */
export function assertDurable(db: Database.Database): void {
  const sync = db.pragma('synchronous', { simple: true });
  if (sync !== SYNCHRONOUS_FULL) throw new LedgerDurabilityError(`ledger database runs with synchronous=${String(sync)}, not FULL (2); refusing to record money`);
  const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (mode !== 'wal' && !db.memory) throw new LedgerDurabilityError(`ledger database journal_mode is ${mode}, not wal; refusing to record money`);
}

export interface OpenOptions {
  /** Open for reading only (verify, export): nothing is migrated or written. */
  readonly?: boolean;
  /** Tests: stop migrating at this version. */
  upTo?: number;
}

export function openLedgerDatabase(path: string, opts: OpenOptions = {}): Database.Database {
  const readonly = opts.readonly === true;
  const db = new Database(path, { readonly, fileMustExist: readonly });
  try {
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
    assertDurable(db);
    if (readonly) assertCurrentSchema(db);
    else migrate(db, opts.upTo);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** The schema this build reads: every migration applied, no later one. */
export function assertCurrentSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== MIGRATIONS.length) {
    throw new LedgerSchemaError(
      version < MIGRATIONS.length
        ? `ledger schema version ${version} is older than this build's ${MIGRATIONS.length}; open it once read-write to migrate`
        : `ledger schema version ${version} is newer than this build knows (${MIGRATIONS.length})`,
    );
  }
}
