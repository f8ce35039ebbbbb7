import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KioskLedger, LedgerDurabilityError, MIGRATIONS, migrate, openLedgerDatabase, verifyLedger, assertDurable } from '../../../src/ledger';
import { paymentTx, tempLedger } from '../../support/ledger-fixtures';

const EVIDENCE = { balance_after_minor: 650, tmac_counter: 5, tmac_value: '0011223344556677' };

describe('kiosk ledger', () => {
  it('opens with WAL and synchronous=FULL, and refuses a database that is not FULL', () => {
    const { ledger } = tempLedger();
    expect(ledger.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ledger.db.pragma('synchronous', { simple: true })).toBe(2);
    ledger.db.pragma('synchronous = NORMAL');
    expect(() => assertDurable(ledger.db)).toThrow(LedgerDurabilityError);
    expect(() => ledger.append({ kind: 'aborted', tx_id: 'x', reason: 'test' })).toThrow(LedgerDurabilityError);
  });

  it('records intent, committed and aborted entries idempotently by tx id', async () => {
    const { ledger } = tempLedger();
    expect(await ledger.writeIntent(paymentTx(1))).toEqual({ ok: true, value: { status: 'created' } });
    expect(await ledger.writeIntent(paymentTx(1))).toEqual({ ok: true, value: { status: 'exists' } });
    expect((await ledger.openIntents()).map((t) => t.tx_id)).toEqual([paymentTx(1).tx_id]);
    await ledger.recordCommitted(paymentTx(1), EVIDENCE);
    await ledger.writeIntent(paymentTx(2));
    await ledger.recordAborted(paymentTx(2), 'insufficient_funds');
    expect(await ledger.openIntents()).toEqual([]);
    expect(ledger.entriesSince(0).map((e) => [e.seq, e.payload.kind])).toEqual([
      [1, 'intent'],
      [2, 'committed'],
      [3, 'intent'],
      [4, 'aborted'],
    ]);
    expect(verifyLedger(ledger.db)).toMatchObject({ ok: true, count: 4 });
  });

  it('sums committed debits for offline caps and per-card daily limits, until the back office acknowledges', async () => {
    const { ledger } = tempLedger();
    for (const n of [1, 2]) {
      await ledger.writeIntent(paymentTx(n));
      await ledger.recordCommitted(paymentTx(n), EVIDENCE);
    }
    await ledger.writeIntent(paymentTx(3)); // never committed: not counted
    expect(await ledger.unsyncedDebitsMinor()).toBe(700);
    expect(await ledger.cardDebitsSinceMinor(paymentTx(1).card_ref, 0)).toBe(700);
    expect(await ledger.cardDebitsSinceMinor('another', 0)).toBe(0);
    expect(ledger.pendingOutbox(10)).toHaveLength(5);
    ledger.markAcknowledged(4);
    expect(ledger.pendingOutbox(10).map((e) => e.seq)).toEqual([5]);
    expect(await ledger.unsyncedDebitsMinor()).toBe(0);
  });

  it('refuses UPDATE and DELETE of entries, and deleting an unacknowledged outbox row', async () => {
    const { ledger } = tempLedger();
    await ledger.writeIntent(paymentTx(1));
    expect(() => ledger.db.prepare("UPDATE entries SET payload = '{}'").run()).toThrow(/append-only/);
    expect(() => ledger.db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
    expect(() => ledger.db.prepare('DELETE FROM outbox').run()).toThrow(/not acknowledged/);
  });

  it('rejects payloads that are not one of the typed kinds, or carry free text', () => {
    const { ledger } = tempLedger();
    expect(() => ledger.append({ kind: 'aborted', tx_id: 'tx-1', reason: 'Maria Lopez was here' })).toThrow(/reason code/);
    expect(() => ledger.append({ kind: 'refund', tx_id: 'tx-1', amount_minor: 1.5, reason: 'x' })).toThrow(/minor units/);
    expect(() => ledger.append({ kind: 'nope' } as never)).toThrow(/unknown ledger entry kind/);
  });

  it('verify names the first tampered, missing or reordered entry (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 12 }), fc.nat(), fc.constantFrom('payload', 'hash', 'signature', 'delete', 'swap'), async (count, pick, how) => {
        const { ledger } = tempLedger();
        for (let n = 1; n <= count; n++) await ledger.writeIntent(paymentTx(n, { amount_minor: 100 + n }));
        expect(verifyLedger(ledger.db).ok).toBe(true);
        const victim = (pick % count) + 1;
        ledger.db.exec('DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; PRAGMA foreign_keys = OFF;');
        if (how === 'payload') ledger.db.prepare("UPDATE entries SET payload = replace(payload, '\"amount_minor\":', '\"amount_minor\":9') WHERE seq = ?").run(victim);
        if (how === 'hash') ledger.db.prepare("UPDATE entries SET hash = 'ff' || substr(hash, 3) WHERE seq = ?").run(victim);
        if (how === 'signature') ledger.db.prepare("UPDATE entries SET signature = 'AAAA' || substr(signature, 5) WHERE seq = ?").run(victim);
        if (how === 'delete') ledger.db.prepare('DELETE FROM entries WHERE seq = ?').run(victim);
        if (how === 'swap') {
          const other = victim === count ? victim - 1 : victim + 1;
          ledger.db.prepare('UPDATE entries SET seq = -1 WHERE seq = ?').run(victim);
          ledger.db.prepare('UPDATE entries SET seq = ? WHERE seq = ?').run(victim, other);
          ledger.db.prepare('UPDATE entries SET seq = ? WHERE seq = -1').run(other);
        }
        const result = verifyLedger(ledger.db);
        expect(result.ok).toBe(false);
        const expectedFirst = how === 'swap' ? Math.min(victim, victim === count ? victim - 1 : victim + 1) : victim;
        if (!result.ok) expect(result.first_bad_seq).toBe(expectedFirst);
        ledger.close();
      }),
      { numRuns: 40 },
    );
  });

  it('refuses to chain entries signed by another kiosk key', async () => {
    const first = tempLedger();
    await first.ledger.writeIntent(paymentTx(1));
    first.ledger.close();
    const other = tempLedger();
    expect(() => KioskLedger.open(first.path, other.key)).toThrow(/another kiosk key/);
  });
});

describe('ledger migrations', () => {
  it('001 creates the append-only entries table', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.prepare("INSERT INTO entries VALUES (1, 'e', 't', 'aborted', 'x', '{}', 'p', 'h', 's')").run();
    expect(() => db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
  });

  it('002 adds the outbox and enqueues entries already there', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.prepare("INSERT INTO entries VALUES (1, 'e', 't', 'aborted', 'x', '{}', 'p', 'h', 's')").run();
    migrate(db, 2);
    expect(db.prepare('SELECT seq, acked_at FROM outbox').all()).toEqual([{ seq: 1, acked_at: null }]);
    db.prepare("UPDATE outbox SET acked_at = 'now'").run();
    expect(() => db.prepare("UPDATE outbox SET acked_at = 'later'").run()).toThrow(/acknowledged, once/);
  });

  it('003 adds money columns, backfilled from committed entries', () => {
    const db = new Database(':memory:');
    migrate(db, 2);
    const intent = JSON.stringify({ kind: 'intent', tx_id: 't1', card_ref: 'c1', direction: 'debit', amount_minor: 250 });
    db.prepare("INSERT INTO entries VALUES (1, 'e1', '2026-01-01T00:00:00.000Z', 'intent', 't1', ?, 'p', 'h1', 's')").run(intent);
    db.prepare("INSERT INTO entries VALUES (2, 'e2', '2026-01-01T00:00:01.000Z', 'committed', 't1', '{}', 'h1', 'h2', 's')").run();
    migrate(db, 3);
    expect(db.prepare('SELECT tx_id, card_ref, direction, amount_minor FROM money').all()).toEqual([{ tx_id: 't1', card_ref: 'c1', direction: 'debit', amount_minor: 250 }]);
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3]);
  });

  it('a file database opens migrated to the latest version', () => {
    const { path } = tempLedger();
    const db = openLedgerDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });
});
