import type Database from 'better-sqlite3';

// Numbered schema migrations; PRAGMA user_version is the number applied last.
// Each runs in its own transaction and has its own test
// (test/unit/ledger/migrations.test.ts). Never edit one that has shipped: add
// the next number.

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
  {
    version: 4,
    name: 'entry format 2: closed payload schema, chain rules enforced by the database',
    up(db) {
      // Format-1 entries (intent with a direction field, free-form reasons)
      // cannot be re-hashed without breaking their signatures, and this build
      // does not read them. No kiosk ran format 1 with real money.
      const format1 = db.prepare('SELECT COUNT(*) FROM entries').pluck().get() as number;
      if (format1 > 0) {
        throw new LedgerMigrationError(`this ledger holds ${format1} format-1 entries, which this build does not read; keep the file as an archive and start a new ledger`);
      }
      db.exec(`
        INSERT INTO meta (key, value) VALUES ('entry_format', '2');
        CREATE INDEX entries_kind ON entries (kind, seq);
        CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'ledger meta is written once'); END;
        CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta BEGIN SELECT RAISE(ABORT, 'ledger meta is written once'); END;
        CREATE TRIGGER entries_chain_only BEFORE INSERT ON entries
          WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM entries), 0) + 1
            OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM entries ORDER BY seq DESC LIMIT 1), '${'0'.repeat(64)}')
          BEGIN SELECT RAISE(ABORT, 'a ledger entry must follow the last one: next seq, previous hash'); END;
        -- Every entry keeps its outbox row for good: verification counts them to
        -- notice a deleted tail, and an acknowledgement is an update, not a delete.
        DROP TRIGGER outbox_no_delete_unacked;
        CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
          BEGIN SELECT RAISE(ABORT, 'outbox rows are kept: an entry the back office has not acknowledged stays in the outbox'); END;
      `);
    },
  },
  {
    version: 5,
    name: 'indexes for the rules across transactions: a card\'s last evidence, the reversals of a transaction',
    up(db) {
      db.exec(`
        CREATE INDEX entries_intent_card ON entries (json_extract(payload, '$.card_ref')) WHERE kind IN ('intent', 'credit_intent');
        CREATE INDEX entries_intent_reverses ON entries (json_extract(payload, '$.reverses_tx_id')) WHERE kind IN ('intent', 'credit_intent');
      `);
    },
  },
];

export class LedgerMigrationError extends Error {
  override name = 'LedgerMigrationError';
}

for (const [i, m] of MIGRATIONS.entries()) {
  if (m.version !== i + 1) throw new LedgerMigrationError(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
}

/** Applies the migrations after the database's user_version, up to `upTo`, each in its own transaction. */
export function migrate(db: Database.Database, upTo: number = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new LedgerMigrationError(`ledger schema version ${current} is newer than this build knows (${MIGRATIONS.length})`);
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
