import { describe, expect, it } from 'vitest';
import { committed, intent, memoryLedger, paymentTx, txId } from './helpers';

// Store and forward (issue 8, point 3): the post to a service is in the ledger
// before it is sent, and its answer after, so a post that did not finish is
// found and sent again with the same transaction id — never twice as new.

describe('ledger: service posts', () => {
  it('a post needs a payment the card committed; its answer needs the post; each is written once', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(() => ledger.append({ kind: 'service_post', tx_id: txId(1) })).toThrow(/only of a payment the card committed/);
    ledger.append(committed(1));
    expect(() => ledger.append({ kind: 'service_result', tx_id: txId(1), outcome: 'accepted' })).toThrow(/needs a service_post first/);
    expect(ledger.append({ kind: 'service_post', tx_id: txId(1) }).status).toBe('created');
    expect(ledger.append({ kind: 'service_post', tx_id: txId(1) }).status).toBe('exists'); // a retry of the same post
    expect(ledger.append({ kind: 'service_result', tx_id: txId(1), outcome: 'accepted' }).status).toBe('created');
    expect(() => ledger.append({ kind: 'service_result', tx_id: txId(1), outcome: 'refused' })).toThrow(/different content/);
    expect(ledger.txBalance(txId(1))?.service_post).toBe('accepted');
  });

  it('lists posts with no answer yet, oldest first, for sending again', async () => {
    const ledger = memoryLedger();
    for (const n of [1, 2, 3]) {
      ledger.appendIntent(intent(n));
      ledger.append(committed(n));
      await ledger.recordServicePost(paymentTx(n));
    }
    await ledger.recordServiceResult(paymentTx(2), 'refused');
    expect((await ledger.unansweredServicePosts()).map((t) => t.tx_id)).toEqual([txId(1), txId(3)]);
  });
});

describe('ledger: several entries in one durable write', () => {
  it('appends all of them, or none when one is refused', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(() => ledger.appendAll([committed(1), { kind: 'service_result', tx_id: txId(1), outcome: 'accepted' }])).toThrow(/needs a service_post first/);
    expect(ledger.entriesSince(0).map((e) => e.payload.kind)).toEqual(['intent']); // the commit was not kept either
    const results = ledger.appendAll([committed(1), { kind: 'service_post', tx_id: txId(1) }]);
    expect(results.map((r) => [r.status, r.seq])).toEqual([['created', 2], ['created', 3]]);
    expect(ledger.appendAll([committed(1), { kind: 'service_post', tx_id: txId(1) }]).map((r) => r.status)).toEqual(['exists', 'exists']);
  });
});
