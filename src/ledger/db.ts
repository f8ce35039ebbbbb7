import Database from 'better-sqlite3';
import { migrate } from './migrations';

// Opening the ledger database. better-sqlite3 defaults to WAL with
// synchronous=NORMAL, which can lose the last commits on power loss; the ledger
// needs FULL, so it is set explicitly and read back, on open and after the
// first write, and the ledger refuses to run otherwise.

const SYNCHRONOUS_FULL = 2;

export class LedgerDurabilityError extends Error {
  override name = 'LedgerDurabilityError';
}

export function assertDurable(db: Database.Database): void {
  const sync = db.pragma('synchronous', { simple: true });
  if (sync !== SYNCHRONOUS_FULL) throw new LedgerDurabilityError(`ledger database runs with synchronous=${String(sync)}, not FULL; refusing to record money`);
  const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (mode !== 'wal' && !db.memory) throw new LedgerDurabilityError(`ledger database journal_mode is ${mode}, expected wal`);
}

export function openLedgerDatabase(path: string, opts: { upTo?: number; readonly?: boolean } = {}): Database.Database {
  const db = new Database(path, { readonly: opts.readonly === true, fileMustExist: opts.readonly === true });
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    assertDurable(db);
    migrate(db, opts.upTo);
  }
  return db;
}
