import type Database from 'better-sqlite3';

// Numbered schema migrations; PRAGMA user_version is the number applied last.
// Each runs in its own transaction and has its own test.

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries: append-only hash chain',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE entries (
          seq INTEGER PRIMARY KEY,
          entry_id TEXT NOT NULL UNIQUE,
          at TEXT NOT NULL,
          kind TEXT NOT NULL,
          tx_id TEXT,
          payload TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL UNIQUE,
          signature TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX entries_tx_kind ON entries (tx_id, kind) WHERE tx_id IS NOT NULL;
        CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
      `);
    },
  },
  {
    version: 2,
    name: 'outbox: entries waiting for the back office',
    up(db) {
      db.exec(`
        CREATE TABLE outbox (
          seq INTEGER PRIMARY KEY REFERENCES entries (seq),
          acked_at TEXT
        ) STRICT;
        CREATE TRIGGER outbox_no_delete_unacked BEFORE DELETE ON outbox WHEN OLD.acked_at IS NULL
          BEGIN SELECT RAISE(ABORT, 'an entry the back office has not acknowledged stays in the outbox'); END;
        CREATE TRIGGER outbox_ack_only BEFORE UPDATE ON outbox WHEN OLD.acked_at IS NOT NULL OR NEW.seq <> OLD.seq
          BEGIN SELECT RAISE(ABORT, 'an outbox row can only be acknowledged, once'); END;
        INSERT INTO outbox (seq) SELECT seq FROM entries;
      `);
    },
  },
  {
    version: 3,
    name: 'money columns for limits and totals',
    up(db) {
      db.exec(`
        CREATE TABLE money (
          seq INTEGER PRIMARY KEY REFERENCES entries (seq),
          tx_id TEXT NOT NULL,
          card_ref TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
          amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
          at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX money_card_time ON money (card_ref, at_ms);
        CREATE TRIGGER money_no_update BEFORE UPDATE ON money BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER money_no_delete BEFORE DELETE ON money BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
      `);
      // Backfill from committed entries and their intents.
      const rows = db
        .prepare(
          `SELECT c.seq AS seq, c.tx_id AS tx_id, c.at AS at, i.payload AS intent
           FROM entries c JOIN entries i ON i.tx_id = c.tx_id AND i.kind = 'intent' WHERE c.kind = 'committed'`,
        )
        .all() as { seq: number; tx_id: string; at: string; intent: string }[];
      const insert = db.prepare('INSERT INTO money (seq, tx_id, card_ref, direction, amount_minor, at_ms) VALUES (?, ?, ?, ?, ?, ?)');
      for (const r of rows) {
        const i = JSON.parse(r.intent) as { card_ref: string; direction: string; amount_minor: number };
        insert.run(r.seq, r.tx_id, i.card_ref, i.direction, i.amount_minor, Date.parse(r.at));
      }
    },
  },
];

export function migrate(db: Database.Database, upTo: number = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
