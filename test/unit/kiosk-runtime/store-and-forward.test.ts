import { describe, expect, it } from 'vitest';
import type { FulfilInput, FulfilResult } from '../../../src/kiosk/machines/contracts';
import { FixedFeeService } from '../../support/fixed-fee';
import { ServiceForwarder } from '../../../src/kiosk/services/store-and-forward';
import type { KioskService } from '../../../src/kiosk/services/types';
import type { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { intent, memoryLedger, paymentTx } from '../ledger/helpers';
import { startTestKiosk } from '../../support/resident-kiosk';

// Store and forward (issue 8, point 3) with the real ledger and the real kiosk:
// the post is in the ledger before it is sent and its answer after; a post that
// did not finish is sent again with the same transaction id until answered.

/** A library service that can be down, or refuse, and counts what it was told, by transaction id (SIP2 BK). */
class FlakyLibrary implements KioskService {
  readonly kind = 'library_fine' as const;
  up = true;
  refuse = false;
  readonly received: string[] = [];
  private readonly fixed = new FixedFeeService('library_fine', 350);
  quote = (i: Parameters<KioskService['quote']>[0]) => this.fixed.quote(i);
  refund = async () => ({ ok: true as const, value: { undone: true } });
  async fulfil(input: FulfilInput): Promise<FulfilResult> {
    if (!this.up) throw new Error('ILS unreachable');
    this.received.push(input.tx.tx_id);
    return this.refuse ? { status: 'refused', reason: 'service_refused' } : { status: 'fulfilled', service_ref: `ils:${input.tx.tx_id}` };
  }
}

async function kiosk(library: FlakyLibrary, ledger: RuntimeLedger = memoryLedger()) {
  const k = await startTestKiosk({ ledger, services: [library] });
  return { actor: k.actor, ledger, pay: async () => (await k.pay('FINE-1')).tx_id };
}

const kinds = (ledger: RuntimeLedger) => ledger.entriesSince(0).map((e) => e.payload.kind);

describe('library fines by store and forward', () => {
  it('the ILS down at payment time: the resident is served, the post waits in the ledger and goes out once the ILS is back', async () => {
    const library = new FlakyLibrary();
    library.up = false;
    const { actor, ledger, pay } = await kiosk(library);
    const tx_id = await pay();
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post']);
    expect(ledger.txBalance(tx_id)?.service_post).toBe('posted');

    expect(await new ServiceForwarder(ledger, [library]).postUnanswered()).toEqual({ accepted: 0, refused: 0, unanswered: 1 });
    library.up = true;
    expect(await new ServiceForwarder(ledger, [library]).postUnanswered()).toEqual({ accepted: 1, refused: 0, unanswered: 0 });
    expect(await new ServiceForwarder(ledger, [library]).postUnanswered()).toEqual({ accepted: 0, refused: 0, unanswered: 0 });
    expect(library.received).toEqual([tx_id]); // told once, with the payment's own id
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result']);
    actor.stop();
  });

  it('the kiosk killed between the post and the answer: at boot the post goes out again with the same transaction id', async () => {
    const library = new FlakyLibrary();
    const ledger = memoryLedger();
    const first = await kiosk(library, ledger);
    const tx_id = await first.pay();
    first.actor.stop();
    // Rewind to the crash: a ledger holding the post without its answer.
    const crashed = memoryLedger();
    for (const e of ledger.entriesSince(0)) if (e.payload.kind !== 'service_result') crashed.append(e.payload as never);
    library.received.length = 0;
    const second = await kiosk(library, crashed); // boots: its self-test sends what is unanswered
    expect(library.received).toEqual([tx_id]);
    expect(crashed.txBalance(tx_id)?.service_post).toBe('accepted');
    second.actor.stop();
  });

  it('a refusal that comes back after the resident left becomes a refund, never silence', async () => {
    const library = new FlakyLibrary();
    library.up = false;
    const { actor, ledger, pay } = await kiosk(library);
    const tx_id = await pay();
    library.up = true;
    library.refuse = true;
    expect(await new ServiceForwarder(ledger, [library]).postUnanswered()).toEqual({ accepted: 0, refused: 1, unanswered: 0 });
    expect(ledger.txBalance(tx_id)).toMatchObject({ service_post: 'refused', refund_owed_minor: 350 });
    actor.stop();
  });

  it('a refusal while the resident is still there is credited back onto the card, and recorded as the service\'s answer', async () => {
    const library = new FlakyLibrary();
    library.refuse = true;
    const { actor, ledger, pay } = await kiosk(library);
    const tx_id = await pay();
    expect(ledger.txBalance(tx_id)?.service_post).toBe('refused');
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result', 'credit_intent', 'credit_committed']);
    actor.stop();
  });
});

describe('the forwarder and the payment in progress', () => {
  it('sending unanswered posts again never races a payment whose service is being told right now', async () => {
    const ledger = memoryLedger();
    let release!: () => void;
    const told: string[] = [];
    const slow: KioskService = {
      kind: 'library_fine',
      quote: async () => ({ ok: false, error: 'not_found' }),
      refund: async () => ({ ok: true, value: { undone: true } }),
      fulfil: async (input) => {
        told.push(input.tx.tx_id);
        await new Promise<void>((r) => (release = r));
        return { status: 'fulfilled', service_ref: 'ils:1' };
      },
    };
    const forwarder = new ServiceForwarder(ledger, [slow]);
    const tx = paymentTx(1);
    ledger.appendIntent(intent(1));
    expect((await forwarder.recordCommittedAndPost(tx, { balance_after_minor: 650, tmac_counter: 11, tmac_value: '0011223344556677' })).ok).toBe(true);
    expect(ledger.entriesSince(0).map((e) => e.payload.kind)).toEqual(['intent', 'committed', 'service_post']);
    const inProgress = forwarder.services[0]!.fulfil({ tx, quote: { quote_ref: tx.quote_ref!, kind: 'library_fine', amount_minor: 350, description_key: 'x' } });
    await new Promise((r) => setImmediate(r));
    expect(await forwarder.postUnanswered()).toEqual({ accepted: 0, refused: 0, unanswered: 0 }); // skipped: in flight
    release();
    expect(await inProgress).toMatchObject({ status: 'fulfilled' });
    expect(told).toEqual([tx.tx_id]);
    expect(ledger.txBalance(tx.tx_id)?.service_post).toBe('accepted');
  });
});
