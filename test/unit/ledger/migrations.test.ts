import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LedgerMigrationError, LedgerSchemaError, MIGRATIONS, migrate, openLedgerDatabase } from '../../../src/ledger';
import { fileLedger, intent } from './helpers';

// Each numbered migration, applied to a database at the version before it.

const memory = (upTo: number) => {
  const db = new Database(':memory:');
  migrate(db, upTo);
  return db;
};
const insertEntry = (db: Database.Database, seq: number, kind = 'aborted', tx = `t${seq}`, payload = '{}') =>
  db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(seq, `e${seq}`, `2026-01-01T00:00:0${seq}.000Z`, kind, tx, payload, seq === 1 ? '0'.repeat(64) : `h${seq - 1}`, `h${seq}`, 's');

describe('ledger migrations', () => {
  it('are numbered 1..n and user_version records the last applied', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
    const db = memory(MIGRATIONS.length);
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    migrate(db); // again: nothing to do
    expect(db.pragma('user_version', { simple: true })).toBe(5);
  });

  it('005 indexes intents by card and by the transaction they reverse, and the rules\' queries use them', () => {
    const db = memory(5);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan("SELECT tx_id FROM entries WHERE kind IN ('intent', 'credit_intent') AND json_extract(payload, '$.reverses_tx_id') = 'x'")).toMatch(/entries_intent_reverses/);
    expect(plan("SELECT tx_id FROM entries WHERE kind IN ('intent', 'credit_intent') AND json_extract(payload, '$.card_ref') = 'x'")).toMatch(/entries_intent_card/);
  });

  it('001 creates meta and the append-only entries table, unique per (tx_id, kind)', () => {
    const db = memory(1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    insertEntry(db, 1);
    expect(() => insertEntry(db, 2, 'aborted', 't1')).toThrow(/UNIQUE/);
    expect(() => db.prepare("UPDATE entries SET kind = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
  });

  it('002 adds the outbox and enqueues the entries already there', () => {
    const db = memory(1);
    insertEntry(db, 1);
    migrate(db, 2);
    expect(db.prepare('SELECT seq, acked_at FROM outbox').all()).toEqual([{ seq: 1, acked_at: null }]);
    expect(() => db.prepare('DELETE FROM outbox').run()).toThrow(/not acknowledged/);
    db.prepare("UPDATE outbox SET acked_at = 'now'").run();
    expect(() => db.prepare("UPDATE outbox SET acked_at = 'later'").run()).toThrow(/acknowledged, once/);
  });

  it('003 adds the money table, backfilled from committed entries and their intents', () => {
    const db = memory(2);
    insertEntry(db, 1, 'intent', 't1', JSON.stringify({ kind: 'intent', tx_id: 't1', card_ref: 'c1', direction: 'debit', amount_minor: 250 }));
    insertEntry(db, 2, 'committed', 't1');
    insertEntry(db, 3, 'intent', 't3', JSON.stringify({ kind: 'intent', tx_id: 't3', card_ref: 'c1', direction: 'debit', amount_minor: 100 }));
    migrate(db, 3);
    expect(db.prepare('SELECT seq, tx_id, card_ref, direction, amount_minor, at_ms FROM money').all()).toEqual([
      { seq: 2, tx_id: 't1', card_ref: 'c1', direction: 'debit', amount_minor: 250, at_ms: Date.parse('2026-01-01T00:00:02.000Z') },
    ]);
    expect(() => db.prepare('DELETE FROM money').run()).toThrow(/append-only/);
  });

  it('004 (entry format 2) records the format, chains inserts, keeps outbox rows and meta for good', () => {
    const db = memory(3);
    migrate(db, 4);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'entry_format'").pluck().get()).toBe('2');
    expect(() => insertEntry(db, 2)).toThrow(/must follow the last one/);
    insertEntry(db, 1);
    expect(() => db.prepare("INSERT INTO entries VALUES (2, 'e2', 't', 'aborted', 't2', '{}', 'not-h1', 'h2', 's')").run()).toThrow(/must follow the last one/);
    insertEntry(db, 2);
    db.prepare('INSERT INTO outbox (seq) VALUES (1)').run();
    db.prepare("UPDATE outbox SET acked_at = 'now'").run();
    expect(() => db.prepare('DELETE FROM outbox').run()).toThrow(/outbox rows are kept/);
    expect(() => db.prepare("UPDATE meta SET value = '3'").run()).toThrow(/written once/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'entries_kind'").pluck().get()).toBe('entries_kind');
  });

  it('004 refuses a ledger holding format-1 entries, and leaves it as it was', () => {
    const db = memory(3);
    insertEntry(db, 1);
    expect(() => migrate(db)).toThrow(LedgerMigrationError);
    expect(() => migrate(db)).toThrow(/1 format-1 entries/);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare("SELECT COUNT(*) FROM meta WHERE key = 'entry_format'").pluck().get()).toBe(0);
  });

  it('a database from a newer build is refused, read-write or read-only', () => {
    const { ledger, path } = fileLedger();
    ledger.appendIntent(intent(1));
    ledger.db.pragma('user_version = 99');
    ledger.close();
    expect(() => openLedgerDatabase(path)).toThrow(/newer than this build knows/);
    expect(() => openLedgerDatabase(path, { readonly: true })).toThrow(LedgerSchemaError);
  });

  it('a new file database opens migrated to the latest version', () => {
    const { path } = fileLedger();
    const db = openLedgerDatabase(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });
});
