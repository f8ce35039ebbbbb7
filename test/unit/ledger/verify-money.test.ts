import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rowToEntry, verifyLedger, type EntryRow } from '../../../src/ledger';
import { moneyRowsOf, type MoneyRow } from '../../../src/ledger/money-check';
import { CARD_A, CARD_B, committed, EVIDENCE, fileLedger, intent, txId } from './helpers';
import { copyLedger, unprotected } from './verify-forgery';

// The `money` table is derived (one row per transaction whose card change
// committed) and drives the offline limits and a shift's expected cash, so
// verification replays the signed entries and checks the table against them.

/** Every way money can move or not move, on disk: money rows at seqs 2, 4 and 7. */
function moneyLedger() {
  const { ledger, path, dir, key } = fileLedger();
  const settled = (n: number, outcome: 'committed' | 'aborted', balance_minor: number, tmac_counter: number) =>
    ledger.append({
      kind: 'settled',
      tx_id: txId(n),
      outcome,
      evidence: { source: 'same_card', balance_minor, tmac_counter, ...(outcome === 'committed' ? { tmac_value: 'AB', proof: 'tmac' } : { tmac_value: null, proof: 'counter_unchanged' }) },
    });
  ledger.appendIntent(intent(1)); // 1
  ledger.append(committed(1, { balance_after_minor: 650, tmac_counter: 11 })); // 2: debit 350
  ledger.appendIntent(intent(2, { kind: 'credit_intent', card_ref: CARD_B, amount_minor: 2_000 })); // 3
  ledger.append({ kind: 'credit_committed', tx_id: txId(2), ...EVIDENCE, balance_after_minor: 3_000, tmac_counter: 21 }); // 4: credit 2000
  ledger.appendIntent(intent(3, { amount_minor: 120 })); // 5
  ledger.append({ kind: 'uncertain', tx_id: txId(3), unknown: 'card_commit', cause: 'card_removed' }); // 6
  settled(3, 'committed', 880, 31); // 7: debit 120
  ledger.appendIntent(intent(4)); // 8
  ledger.append({ kind: 'uncertain', tx_id: txId(4), unknown: 'card_commit', cause: 'timeout' }); // 9
  settled(4, 'aborted', 1_000, 40); // 10: none
  ledger.appendIntent(intent(5)); // 11
  ledger.append({ kind: 'aborted', tx_id: txId(5), reason: 'card_absent' }); // 12: none
  ledger.append({ kind: 'refund', tx_id: txId(1), amount_minor: 350, reason: 'service_refused' }); // 13: none (owed in cash, not a card change)
  ledger.close();
  return { path, dir, key };
}

function stored(path: string): MoneyRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT seq, tx_id, card_ref, direction, amount_minor, at_ms FROM money ORDER BY seq').all() as MoneyRow[];
  } finally {
    db.close();
  }
}

function verifyFile(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return verifyLedger(db);
  } finally {
    db.close();
  }
}

describe('moneyRowsOf: the money rows the signed entries imply', () => {
  it('is exactly the money table the append path wrote', () => {
    const { path } = moneyLedger();
    const db = new Database(path, { readonly: true });
    const entries = (db.prepare('SELECT * FROM entries ORDER BY seq').all() as EntryRow[]).map(rowToEntry);
    db.close();
    const derived = [...moneyRowsOf(entries)];
    expect(derived.map((r) => [r.seq, r.direction, r.amount_minor])).toEqual([
      [2, 'debit', 350],
      [4, 'credit', 2_000],
      [7, 'debit', 120],
    ]);
    expect(derived).toEqual(stored(path));
    expect(derived[0]).toEqual({ seq: 2, tx_id: txId(1), card_ref: CARD_A, direction: 'debit', amount_minor: 350, at_ms: Date.parse(entries[1]!.at) });
  });

  it('moves a transaction’s money once, however its entries close it', () => {
    const at = '2026-03-02T09:00:00.000Z';
    const i = { seq: 1, at, payload: { ...intent(1), amount_minor: 350 } } as never;
    const c = { seq: 2, at, payload: committed(1) } as never;
    const s = { seq: 3, at, payload: { kind: 'settled', tx_id: txId(1), outcome: 'committed', evidence: { source: 'same_card', balance_minor: 650, tmac_counter: 5, tmac_value: 'AB', proof: 'tmac' } } } as never;
    expect([...moneyRowsOf([i, c, s])].map((r) => r.seq)).toEqual([2]);
    expect([...moneyRowsOf([c])]).toEqual([]); // no intent: nothing to move
  });
});

describe('verifyLedger: the money table against the signed entries', () => {
  it('an intact ledger passes the money check', () => {
    const { path } = moneyLedger();
    expect(verifyFile(path)).toMatchObject({ ok: true, count: 13 });
  });

  it('a money row altered, one added and one removed are each named by seq', () => {
    const { path, dir } = moneyLedger();
    const copy = copyLedger(path, join(dir, 'money.db'));
    const db = unprotected(copy);
    db.prepare('UPDATE money SET amount_minor = 35 WHERE seq = 4').run();
    db.prepare("INSERT INTO money (seq, tx_id, card_ref, direction, amount_minor, at_ms) VALUES (11, ?, ?, 'debit', 350, 0)").run(txId(5), CARD_B);
    db.prepare('DELETE FROM money WHERE seq = 7').run();
    db.close();
    const result = verifyFile(copy);
    expect(result).toMatchObject({ ok: false, firstBad: 4 });
    const reason = result.ok ? '' : result.reason;
    expect(reason).toMatch(/^the money table disagrees with the signed entries: /);
    expect(reason).toContain('money row 4 differs (amount_minor 35, signed 2000)');
    expect(reason).toContain('money row 7 is missing');
    expect(reason).toContain('money row 11 is extra (entry 11 moves no money)');
  });

  it('each kind of money-row fault alone is named, and a row outside the chain too', () => {
    const cases: [string, string, number, string][] = [
      ['a changed direction', "UPDATE money SET direction = 'credit' WHERE seq = 2", 2, 'money row 2 differs (direction credit, signed debit)'],
      ['a changed card', `UPDATE money SET card_ref = '${CARD_B}' WHERE seq = 2`, 2, 'money row 2 differs (card_ref)'],
      ['a changed time', 'UPDATE money SET at_ms = at_ms - 86400000 WHERE seq = 7', 7, 'money row 7 differs (at_ms'],
      ['a changed tx', `UPDATE money SET tx_id = '${txId(9)}' WHERE seq = 7`, 7, 'money row 7 differs (tx_id'],
      ['a deleted row', 'DELETE FROM money WHERE seq = 2', 2, 'money row 2 is missing'],
      ['a row past the chain', `INSERT INTO money VALUES (99, '${txId(1)}', '${CARD_B}', 'debit', 1, 0)`, 99, 'money row 99 is extra (no entry 99)'],
    ];
    for (const [what, sql, seq, named] of cases) {
      const { path, dir } = moneyLedger();
      const copy = copyLedger(path, join(dir, 'money.db'));
      const db = unprotected(copy);
      db.exec(sql);
      db.close();
      const result = verifyFile(copy);
      expect(result, what).toMatchObject({ ok: false, firstBad: seq });
      expect(result.ok ? '' : result.reason, what).toContain(named);
    }
  });
});
