import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { canonicalJson, entryHash, type KioskKey } from '../../../src/ledger';
import { signHash } from '../../../src/ledger/encoding';

// What someone holding a closed ledger file can do to it, done for real on a
// copy: the protections (triggers, foreign keys) are dropped in the copy, then
// the tables are changed with plain SQL. Used by the verify tests to show that
// verification catches a re-signed, a truncated or a re-derived ledger.

/** A byte copy of a closed ledger file (and its WAL, if one is left), at `to`. */
export function copyLedger(from: string, to: string): string {
  copyFileSync(from, to);
  for (const side of ['-wal', '-shm']) if (existsSync(from + side)) copyFileSync(from + side, to + side);
  return to;
}

/**
 * A raw connection with every append-only trigger, the foreign keys and the
 * indexes over payload JSON (which would refuse a payload that is not JSON)
 * dropped.
 */
export function unprotected(path: string): Database.Database {
  const db = new Database(path);
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[];
  for (const name of triggers) db.exec(`DROP TRIGGER ${name}`);
  const jsonIndexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%json_extract%'").pluck().all() as string[];
  for (const name of jsonIndexes) db.exec(`DROP INDEX ${name}`);
  db.pragma('foreign_keys = OFF');
  return db;
}

type Payload = Record<string, unknown>;

/**
 * Rewrites history with a key of the forger's own: `edit` may change any
 * entry's payload; every hash and signature is then recomputed in order with
 * `forger`, the stored public key is replaced, and the money rows are
 * re-derived by hand from the edited intents, so the forged file is
 * consistent in every way the file alone can show.
 */
export function resignWithNewKey(path: string, forger: KioskKey, edit: (seq: number, payload: Payload) => Payload | undefined): void {
  const db = unprotected(path);
  try {
    db.transaction(() => {
      const rows = db.prepare('SELECT seq, entry_id, at, payload FROM entries ORDER BY seq').all() as { seq: number; entry_id: string; at: string; payload: string }[];
      const update = db.prepare('UPDATE entries SET payload = ?, prev_hash = ?, hash = ?, signature = ? WHERE seq = ?');
      let prev_hash = '0'.repeat(64);
      for (const row of rows) {
        const edited = edit(row.seq, JSON.parse(row.payload) as Payload);
        const payload_json = edited === undefined ? row.payload : canonicalJson(edited);
        const hash = entryHash({ seq: row.seq, entry_id: row.entry_id, at: row.at, payload_json, prev_hash });
        update.run(payload_json, prev_hash, hash, signHash(hash, forger.privateKey), row.seq);
        prev_hash = hash;
      }
      db.prepare("UPDATE meta SET value = ? WHERE key = 'kiosk_public_key'").run(forger.publicKeyPem);
      db.exec(`UPDATE money SET
        amount_minor = (SELECT json_extract(i.payload, '$.amount_minor') FROM entries i WHERE i.tx_id = money.tx_id AND i.kind IN ('intent', 'credit_intent')),
        card_ref = (SELECT json_extract(i.payload, '$.card_ref') FROM entries i WHERE i.tx_id = money.tx_id AND i.kind IN ('intent', 'credit_intent'))`);
    })();
  } finally {
    db.close();
  }
}

/** Deletes every entry after `keep`, with its outbox and money rows: a tail removed cleanly. */
export function truncateAfter(path: string, keep: number): void {
  const db = unprotected(path);
  try {
    db.transaction(() => {
      for (const table of ['money', 'outbox', 'entries']) db.prepare(`DELETE FROM ${table} WHERE seq > ?`).run(keep);
    })();
  } finally {
    db.close();
  }
}

/** The last entry of a ledger file as `SEQ:HASH`, what an operator records for `--expect-last`. */
export function lastPoint(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const last = db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    return `${last.seq}:${last.hash}`;
  } finally {
    db.close();
  }
}
