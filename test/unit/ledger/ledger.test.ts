import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { KioskLedger, LedgerConflictError, LedgerIntegrityError, LedgerPayloadError, loadOrCreateKioskKey, verifyLedger } from '../../../src/ledger';
import { CARD_A, CARD_B, committed, creditCommitted, EVIDENCE, fileLedger, intent, memoryLedger, paymentTx, SHIFT_1, steppingClock, testKey, txId } from './helpers';

describe('kiosk ledger: appends', () => {
  it('numbers entries from 1 without gaps, links each to the one before, and signs each', () => {
    const { ledger } = fileLedger();
    expect(ledger.lastEntry()).toBeNull();
    expect(ledger.appendIntent(intent(1))).toEqual({ status: 'created', seq: 1 });
    expect(ledger.append(committed(1))).toEqual({ status: 'created', seq: 2 });
    expect(ledger.appendIntent(intent(2))).toEqual({ status: 'created', seq: 3 });
    const entries = ledger.entriesSince(0);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prev_hash).toBe('0'.repeat(64));
    expect(entries[1]!.prev_hash).toBe(entries[0]!.hash);
    expect(entries[2]!.prev_hash).toBe(entries[1]!.hash);
    expect(entries[0]!.entry_id < entries[1]!.entry_id).toBe(true);
    expect(ledger.lastEntry()).toEqual(entries[2]);
    expect(ledger.entriesSince(2).map((e) => e.seq)).toEqual([3]);
    expect(ledger.entriesSince(0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(verifyLedger(ledger.db)).toEqual({ ok: true, verified: false, count: 3, last_hash: entries[2]!.hash });
  });

  it('appendIntent returns only once the intent is committed: another connection already reads it', () => {
    const { ledger, path } = fileLedger();
    ledger.appendIntent(intent(1));
    const other = new Database(path, { readonly: true });
    expect(other.prepare('SELECT kind, tx_id FROM entries').all()).toEqual([{ kind: 'intent', tx_id: txId(1) }]);
    expect(other.prepare('SELECT seq, acked_at FROM outbox').all()).toEqual([{ seq: 1, acked_at: null }]);
    other.close();
  });

  it('refuses to append inside a caller’s open transaction (it would not be durable on return)', () => {
    const ledger = memoryLedger();
    expect(() => ledger.db.transaction(() => ledger.appendIntent(intent(1)))()).toThrow(/not be durable on return/);
    expect(ledger.lastEntry()).toBeNull();
  });

  it('stores the payload as its canonical JSON, whatever the key order given', () => {
    const ledger = memoryLedger();
    const { kind, ...rest } = intent(1);
    ledger.append({ ...rest, kind } as never);
    const raw = ledger.db.prepare('SELECT payload FROM entries').pluck().get() as string;
    expect(raw.startsWith('{"amount_minor":350,"balance_before_minor":1000,')).toBe(true);
  });

  it('is idempotent: the same entry again answers exists; the same kind with other content is a conflict', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(ledger.appendIntent(intent(1))).toEqual({ status: 'exists', seq: 1 });
    expect(() => ledger.appendIntent(intent(1, { amount_minor: 351, expected_balance_after_minor: 649 }))).toThrow(LedgerConflictError);
    ledger.append(committed(1));
    expect(ledger.append(committed(1))).toEqual({ status: 'exists', seq: 2 });
    expect(() => ledger.append(committed(1, { tmac_counter: 9 }))).toThrow(/already has a committed entry \(seq 2\) with different content/);
    expect(ledger.entriesSince(0)).toHaveLength(2);
  });

  it('validates on write and writes nothing invalid', () => {
    const ledger = memoryLedger();
    expect(() => ledger.append({ kind: 'aborted', tx_id: txId(1), reason: 'Maria Lopez left' as never })).toThrow(LedgerPayloadError);
    expect(() => ledger.appendIntent({ ...intent(1), note: 'x' } as never)).toThrow(/has no field note/);
    expect(() => ledger.appendIntent(committed(1) as never)).toThrow(/takes an intent/);
    expect(ledger.lastEntry()).toBeNull();
  });
});

describe('kiosk ledger: what may follow what', () => {
  it('evidence needs the matching intent, and a transaction closes once', () => {
    const ledger = memoryLedger();
    expect(() => ledger.append(committed(1))).toThrow(/needs a prior intent entry/);
    ledger.appendIntent(intent(2, { kind: 'credit_intent' }));
    expect(() => ledger.append(committed(2))).toThrow(/needs a prior intent entry/);
    expect(ledger.append(creditCommitted(2, { balance_after_minor: 1_350 })).status).toBe('created');
    expect(() => ledger.append({ kind: 'aborted', tx_id: txId(2), reason: 'card_absent' })).toThrow(/already closed by credit_committed/);
    ledger.appendIntent(intent(3));
    ledger.append({ kind: 'aborted', tx_id: txId(3), reason: 'insufficient_funds' });
    expect(() => ledger.append(committed(3))).toThrow(/already closed by aborted/);
    expect(() => ledger.append({ kind: 'uncertain', tx_id: txId(3), unknown: 'card_commit', cause: 'timeout' })).toThrow(/already closed/);
  });

  it('an abort may stand alone (the intent never became durable), but then the tx id is spent', () => {
    const ledger = memoryLedger();
    expect(ledger.append({ kind: 'aborted', tx_id: txId(1), reason: 'ledger_unavailable' }).status).toBe('created');
    expect(() => ledger.appendIntent(intent(1))).toThrow(/tx_id is already used \(aborted entry, seq 1\)/);
  });

  it('uncertain, then settled from the card, closes the transaction with its evidence', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(() => ledger.append({ kind: 'uncertain', tx_id: txId(9), unknown: 'card_commit', cause: 'timeout' })).toThrow(/needs an intent first/);
    ledger.append({ kind: 'uncertain', tx_id: txId(1), unknown: 'card_commit', cause: 'card_removed' });
    expect(ledger.txBalance(txId(1))?.state).toBe('uncertain');
    ledger.append({ kind: 'settled', tx_id: txId(1), outcome: 'committed', evidence: { source: 'same_card', balance_minor: 650, tmac_counter: 11, tmac_value: 'AB', proof: 'tmac' } });
    expect(ledger.txBalance(txId(1))).toMatchObject({ state: 'committed', balance_after_minor: 650 });
    expect(() => ledger.append(committed(1))).toThrow(/already closed by settled/);
  });

  it('a refund needs a committed debit and never exceeds what was paid', () => {
    const ledger = memoryLedger();
    const refund = (n: number, amount_minor = 350) => ledger.append({ kind: 'refund', tx_id: txId(n), amount_minor, reason: 'service_refused' });
    ledger.appendIntent(intent(1));
    expect(() => refund(1)).toThrow(/needs a payment that the card committed/);
    ledger.append(committed(1));
    expect(() => refund(1, 351)).toThrow(/exceeds the 350 paid/);
    expect(refund(1).status).toBe('created');
    expect(ledger.txBalance(txId(1))?.refund_owed_minor).toBe(350);
    ledger.appendIntent(intent(2, { kind: 'credit_intent' }));
    expect(() => refund(2)).toThrow(/needs a debit intent/);
  });

  it('shift intents need their shift open; a shift opens once and closes once', () => {
    const ledger = memoryLedger();
    const topUp = (n: number) => intent(n, { kind: 'credit_intent', shift_id: SHIFT_1 });
    expect(() => ledger.appendIntent(topUp(1))).toThrow(/was never opened/);
    expect(() => ledger.append({ kind: 'shift_closed', shift_id: SHIFT_1, staff_ref: 'staff-17', expected_minor: 0, counted_minor: 0 })).toThrow(/no such shift/);
    ledger.append({ kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'staff-17', opening_float_minor: 5_000 });
    expect(ledger.append({ kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'staff-17', opening_float_minor: 5_000 }).status).toBe('exists');
    expect(() => ledger.append({ kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'staff-17', opening_float_minor: 1 })).toThrow(LedgerConflictError);
    ledger.appendIntent(topUp(1));
    ledger.append(creditCommitted(1, { balance_after_minor: 1_350 }));
    ledger.appendIntent(intent(2, { shift_id: SHIFT_1, service: 'void', reverses_tx_id: txId(1), amount_minor: 350, balance_before_minor: 1_350 }));
    ledger.append(committed(2, { balance_after_minor: 1_000 }));
    ledger.appendIntent(topUp(4));
    expect(ledger.shiftExpectedCashMinor(SHIFT_1)).toBe(5_000 + 350 - 350);
    ledger.append({ kind: 'shift_closed', shift_id: SHIFT_1, staff_ref: 'staff-17', expected_minor: 5_000, counted_minor: 5_000 });
    expect(() => ledger.appendIntent(topUp(3))).toThrow(/is closed/);
  });
});

describe('kiosk ledger: queries', () => {
  it('openIntents lists intents with no committed, aborted or settled entry, oldest first', async () => {
    const ledger = memoryLedger();
    for (const n of [1, 2, 3, 4, 5]) ledger.appendIntent(intent(n, n === 5 ? { kind: 'credit_intent' } : {}));
    ledger.append(committed(1));
    ledger.append({ kind: 'aborted', tx_id: txId(2), reason: 'card_absent' });
    ledger.append({ kind: 'settled', tx_id: txId(3), outcome: 'aborted', evidence: { source: 'back_office', balance_minor: 1_000, tmac_counter: 30, tmac_value: null, proof: 'counter_unchanged' } });
    ledger.append({ kind: 'uncertain', tx_id: txId(4), unknown: 'card_commit', cause: 'reader_lost' });
    const open = await ledger.openIntents();
    expect(open.map((t) => [t.tx_id, t.direction, t.kind])).toEqual([
      [txId(4), 'debit', 'library_fine'],
      [txId(5), 'credit', 'top_up'],
    ]);
    expect(open[0]).toMatchObject({ card_ref: CARD_A, amount_minor: 350, tmac_counter_before: 40, quote_ref: 'fixed:library_fine:F-4' });
  });

  it('txBalance shows expected and actual balances per transaction', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(ledger.txBalance(txId(1))).toEqual({
      tx_id: txId(1), direction: 'debit', service: 'library_fine', card_ref: CARD_A, amount_minor: 350,
      balance_before_minor: 1_000, expected_balance_after_minor: 650, balance_after_minor: null, state: 'open', refund_owed_minor: 0, service_post: 'none',
    });
    // A card that shows another balance than the intent expected is refused: the transaction stays open for settlement.
    expect(() => ledger.append(committed(1, { balance_after_minor: 640 }))).toThrow(/the card shows 640 after the change, the intent expected 650/);
    expect(ledger.txBalance(txId(1))?.state).toBe('open');
    ledger.append(committed(1));
    expect(ledger.txBalance(txId(1))).toMatchObject({ state: 'committed', expected_balance_after_minor: 650, balance_after_minor: 650 });
    ledger.appendIntent(intent(2));
    expect(ledger.txBalances().map((b) => [b.tx_id, b.state])).toEqual([[txId(1), 'committed'], [txId(2), 'open']]);
    expect(ledger.txBalances(1).map((b) => b.tx_id)).toEqual([txId(2)]);
    expect(ledger.txBalance(txId(9))).toBeNull();
  });

  it('offline cap and daily card totals count committed money and open intents, until acknowledged', async () => {
    const clock = steppingClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const ledger = memoryLedger(clock);
    for (const n of [1, 2]) {
      ledger.appendIntent(intent(n));
      ledger.append(committed(n));
    }
    ledger.appendIntent(intent(3, { card_ref: CARD_B, amount_minor: 100, expected_balance_after_minor: 900 })); // open: may be on the card
    ledger.appendIntent(intent(4, { amount_minor: 200, expected_balance_after_minor: 800 }));
    ledger.append({ kind: 'aborted', tx_id: txId(4), reason: 'card_absent' }); // certainly not on the card
    ledger.appendIntent(intent(5, { kind: 'credit_intent', amount_minor: 1_000 }));
    ledger.append(creditCommitted(5, { balance_after_minor: 2_000 }));
    expect(ledger.unsyncedTotalMinor()).toBe(350 + 350 + 100);
    expect(await ledger.unsyncedDebitsMinor()).toBe(800);
    expect(ledger.unsyncedTotalMinor('credit')).toBe(1_000);
    expect(ledger.cardTotalsSince(CARD_A, 0)).toEqual({ debit_minor: 700, credit_minor: 1_000 });
    expect(await ledger.cardDebitsSinceMinor(CARD_B, 0)).toBe(100);
    expect(await ledger.cardDebitsSinceMinor(CARD_A, Date.parse('2026-03-02T09:00:02.000Z'))).toBe(350); // only the second
    expect(await ledger.cardDebitsSinceMinor(CARD_A, Date.parse('2026-03-03T00:00:00.000Z'))).toBe(0);
    ledger.markAcknowledged(4);
    expect(ledger.unsyncedTotalMinor()).toBe(100);
  });
});

describe('kiosk ledger: outbox', () => {
  it('every entry is enqueued with its append; acknowledgement marks, never deletes', () => {
    const ledger = memoryLedger();
    for (const n of [1, 2, 3]) ledger.appendIntent(intent(n));
    expect(ledger.pendingOutbox(10).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(ledger.pendingOutbox(2).map((e) => e.seq)).toEqual([1, 2]);
    expect(ledger.markAcknowledged(2)).toBe(2);
    expect(ledger.markAcknowledged(2)).toBe(0);
    expect(ledger.pendingOutbox(10).map((e) => e.seq)).toEqual([3]);
    expect(ledger.db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(3);
    expect(ledger.entriesSince(0)).toHaveLength(3);
  });

  it('refuses to acknowledge entries that do not exist, and unbounded reads', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(() => ledger.markAcknowledged(2)).toThrow(/ledger ends at 1/);
    expect(() => ledger.markAcknowledged(-1)).toThrow(RangeError);
    expect(() => ledger.pendingOutbox(0)).toThrow(/limit/);
    expect(() => ledger.entriesSince(0, 1e9)).toThrow(/limit/);
  });
});

describe('kiosk ledger: the port the kiosk machines use', () => {
  it('maps payment transactions to intent / committed / aborted / refund entries', async () => {
    const ledger = memoryLedger();
    expect(await ledger.writeIntent(paymentTx(1))).toEqual({ ok: true, value: { status: 'created' } });
    expect(await ledger.writeIntent(paymentTx(1))).toEqual({ ok: true, value: { status: 'exists' } });
    await ledger.recordCommitted(paymentTx(1), EVIDENCE);
    const back = paymentTx(2, { kind: 'credit_back', direction: 'credit', balance_before_minor: 650, expected_balance_after_minor: 1_000, tmac_counter_before: 5, quote_ref: null, reverses_tx_id: txId(1) });
    await ledger.writeIntent(back);
    await ledger.recordAborted(back, 'permission_denied');
    expect(await ledger.recordRefund(paymentTx(1), 'Fee not found for patron MARIA LOPEZ')).toEqual({ ok: true, value: { status: 'created' } });
    expect(ledger.entriesSince(0).map((e) => e.payload.kind)).toEqual(['intent', 'committed', 'credit_intent', 'aborted', 'refund']);
    expect(ledger.entriesSince(0)[4]!.payload).toMatchObject({ reason: 'service_refused', amount_minor: 350 }); // no free text kept
    expect(ledger.entriesSince(0)[2]!.payload).toMatchObject({ service: 'credit_back', reverses_tx_id: txId(1) });
  });

  it('answers ledger_fault for an entry the ledger refuses (conflict, malformed), keeping the reason', async () => {
    const ledger = memoryLedger();
    expect(await ledger.recordCommitted(paymentTx(1), EVIDENCE)).toEqual({ ok: false, error: 'ledger_fault' });
    expect(ledger.lastWriteError).toBeInstanceOf(LedgerConflictError);
    expect(await ledger.writeIntent(paymentTx(2, { card_ref: 'not a hash' }))).toEqual({ ok: false, error: 'ledger_fault' });
    expect(ledger.lastWriteError).toBeInstanceOf(LedgerPayloadError);
  });

  it('answers ledger_unavailable when the database would not write', async () => {
    const ledger = memoryLedger();
    ledger.close();
    expect(await ledger.writeIntent(paymentTx(1))).toEqual({ ok: false, error: 'ledger_unavailable' });
  });

  it('recordUncertain answers exists for a transaction already uncertain, whatever the cause', async () => {
    const ledger = memoryLedger();
    await ledger.writeIntent(paymentTx(1));
    expect(await ledger.recordUncertain(paymentTx(1), 'card_removed')).toEqual({ ok: true, value: { status: 'created' } });
    expect(await ledger.recordUncertain(paymentTx(1), 'kiosk_restarted')).toEqual({ ok: true, value: { status: 'exists' } });
  });

  it('records uncertain and settled outcomes for recovery', async () => {
    const ledger = memoryLedger();
    await ledger.writeIntent(paymentTx(1));
    expect((await ledger.recordUncertain(paymentTx(1), 'card_removed')).ok).toBe(true);
    expect((await ledger.openIntents()).map((t) => t.tx_id)).toEqual([txId(1)]);
    await ledger.recordSettled(paymentTx(1), 'aborted', { source: 'same_card', balance_minor: 1_000, tmac_counter: 4, tmac_value: null, proof: 'counter_unchanged' });
    expect(await ledger.openIntents()).toEqual([]);
    expect(ledger.txBalance(txId(1))?.state).toBe('aborted');
  });
});

describe('kiosk ledger: opening', () => {
  it('stores the kiosk public key at creation and refuses another key', () => {
    const first = fileLedger();
    first.ledger.appendIntent(intent(1));
    expect(first.ledger.db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").pluck().get()).toBe(first.key.publicKeyPem);
    first.ledger.close();
    const otherKey = loadOrCreateKioskKey(join(first.dir, 'other-kiosk-key.pem'));
    expect(() => KioskLedger.open(first.path, otherKey)).toThrow(/another kiosk key/);
    expect(KioskLedger.open(first.path, first.key).lastEntry()?.seq).toBe(1);
  });

  it('refuses to chain onto a broken last entry', () => {
    const { ledger, path, key } = fileLedger();
    ledger.appendIntent(intent(1));
    ledger.appendIntent(intent(2));
    ledger.db.exec('DROP TRIGGER entries_no_update');
    ledger.db.prepare("UPDATE entries SET at = '2026-03-02T09:00:09.000Z' WHERE seq = 2").run();
    ledger.close();
    expect(() => KioskLedger.open(path, key)).toThrow(LedgerIntegrityError);
    expect(() => KioskLedger.open(path, key)).toThrow(/entry 2 is broken \(hash does not match the entry\)/);
  });

  it('shares one key across ledgers in these tests', () => {
    expect(testKey().publicKeyPem).toMatch(/BEGIN PUBLIC KEY/);
  });
});
