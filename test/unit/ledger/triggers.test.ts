import { describe, expect, it } from 'vitest';
import { committed, EVIDENCE, fileLedger, intent } from './helpers';

// The database itself refuses to change or remove what was recorded, whoever
// holds the connection: SQLite triggers, not only the ledger class.

function ledgerWithEntries() {
  const { ledger } = fileLedger();
  ledger.appendIntent(intent(1));
  ledger.append(committed(1));
  ledger.appendIntent(intent(2));
  return ledger;
}

describe('append-only triggers', () => {
  it('refuse UPDATE of any entry column and DELETE of any entry', () => {
    const { db } = ledgerWithEntries();
    for (const column of ['seq', 'entry_id', 'at', 'kind', 'tx_id', 'payload', 'prev_hash', 'hash', 'signature']) {
      expect(() => db.prepare(`UPDATE entries SET ${column} = ${column} WHERE seq = 2`).run()).toThrow(/ledger entries are append-only/);
    }
    expect(() => db.prepare('DELETE FROM entries WHERE seq = 3').run()).toThrow(/ledger entries are append-only/);
    expect(() => db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT COUNT(*) FROM entries').pluck().get()).toBe(3);
  });

  it('refuse UPDATE and DELETE of money rows', () => {
    const { db } = ledgerWithEntries();
    expect(db.prepare('SELECT seq, amount_minor FROM money').all()).toEqual([{ seq: 2, amount_minor: 350 }]);
    expect(() => db.prepare('UPDATE money SET amount_minor = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM money').run()).toThrow(/append-only/);
  });

  it('refuse an insert that does not continue the chain', () => {
    const { db } = ledgerWithEntries();
    const last = db.prepare('SELECT * FROM entries WHERE seq = 3').get() as Record<string, unknown>;
    const insert = db.prepare('INSERT INTO entries (seq, entry_id, at, kind, tx_id, payload, prev_hash, hash, signature) VALUES (@seq, @entry_id, @at, @kind, @tx_id, @payload, @prev_hash, @hash, @signature)');
    const row = { ...last, entry_id: 'e-x', hash: 'f'.repeat(64), tx_id: 'x' };
    expect(() => insert.run({ ...row, seq: 5, prev_hash: last.hash })).toThrow(/must follow the last one/);
    expect(() => insert.run({ ...row, seq: 4, prev_hash: 'a'.repeat(64) })).toThrow(/must follow the last one/);
  });

  it('outbox rows are never deleted, and acknowledged once only', () => {
    const ledger = ledgerWithEntries();
    const { db } = ledger;
    expect(() => db.prepare('DELETE FROM outbox WHERE seq = 3').run()).toThrow(/stays in the outbox/);
    ledger.markAcknowledged(2);
    expect(() => db.prepare('DELETE FROM outbox WHERE seq = 1').run()).toThrow(/outbox rows are kept/);
    expect(() => db.prepare("UPDATE outbox SET acked_at = 'later' WHERE seq = 1").run()).toThrow(/acknowledged, once/);
    expect(() => db.prepare('UPDATE outbox SET seq = 9, acked_at = NULL WHERE seq = 3').run()).toThrow(/acknowledged, once/);
    expect(db.prepare('SELECT seq FROM outbox WHERE acked_at IS NULL').pluck().all()).toEqual([3]);
  });

  it('ledger meta (the kiosk public key, the entry format) is written once', () => {
    const { db } = ledgerWithEntries();
    expect(() => db.prepare("UPDATE meta SET value = 'x' WHERE key = 'kiosk_public_key'").run()).toThrow(/written once/);
    expect(() => db.prepare('DELETE FROM meta').run()).toThrow(/written once/);
    expect(EVIDENCE.tmac_counter).toBe(5);
  });
});
