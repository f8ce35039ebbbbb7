import { describe, expect, it } from 'vitest';
import { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { CARD_A, committed, fileLedger, intent, memoryLedger, txId } from './helpers';

// The ledger finds open intents incrementally (queries.ts OpenIntents): these
// prove the answers stay those of the full query whatever happens between calls.

const openIds = async (ledger: RuntimeLedger) => (await ledger.openIntents()).map((t) => t.tx_id);

describe('open intents, found incrementally', () => {
  it('sees intents and closings written between calls, by this connection or another one on the same file', async () => {
    const { ledger, path, key } = fileLedger();
    ledger.appendIntent(intent(1));
    expect(await openIds(ledger)).toEqual([txId(1)]);
    const other = RuntimeLedger.open(path, key);
    other.append(committed(1));
    other.appendIntent(intent(2, { tmac_counter_before: 11, balance_before_minor: 650 }));
    expect(await openIds(ledger)).toEqual([txId(2)]);
    expect((await ledger.openIntentsOf(CARD_A)).map((t) => t.tx_id)).toEqual([txId(2)]);
    other.append({ kind: 'aborted', tx_id: txId(2), reason: 'card_absent' });
    expect(await openIds(ledger)).toEqual([]);
    expect(ledger.cardTotalsSince(CARD_A, 0)).toEqual({ debit_minor: 350, credit_minor: 0 });
    other.close();
  });

  it('keeps nothing read inside a transaction that is then rolled back', async () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    ledger.append(committed(1));
    const last = ledger.lastEntry()!;
    const rolledBack = new Error('rolled back');
    let seenInside: Promise<{ tx_id: string }[]> | null = null;
    expect(() =>
      ledger.db.transaction(() => {
        // A raw row that follows the chain (the trigger checks seq and prev_hash), never committed.
        ledger.db
          .prepare("INSERT INTO entries (seq, entry_id, at, kind, tx_id, payload, prev_hash, hash, signature) VALUES (?, 'e', '2024-01-01T00:00:00.000Z', 'intent', ?, ?, ?, 'ff', 'sig')")
          .run(last.seq + 1, txId(9), JSON.stringify({ ...intent(9), card_ref: CARD_A }), last.hash);
        seenInside = ledger.openIntentsOf(CARD_A); // runs now, inside the transaction
        throw rolledBack;
      })(),
    ).toThrow(rolledBack);
    expect((await seenInside!).map((t) => t.tx_id)).toEqual([txId(9)]);
    expect(await ledger.openIntentsOf(CARD_A)).toEqual([]);
    expect(await openIds(ledger)).toEqual([]);
  });
});
