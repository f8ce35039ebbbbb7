import { describe, expect, it } from 'vitest';
import { generateTestKeyset } from '../../../src/card/keys/keyset-file';
import { MIGRATED_IDENTITY_FORMAT } from '../../../src/card/layout';
import { Purse } from '../../../src/card/purse';
import type { PaymentTx } from '../../../src/kiosk/machines/contracts';
import { CardStation } from '../../../src/kiosk/runtime/card-station';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { testTxId, vaultFor } from '../../support/card-fixtures';
import { issueLegacyCard } from '../../support/legacy-card';
import { memoryLedger } from '../ledger/helpers';

// Cards issued before the identification key (layout 1: a free-read identity
// file) keep working, and the attendant station migrates one at its next
// top-up: from then on its identity answers only the identification key.

const REF_KEY = Buffer.alloc(32, 4);
const TX = (n: number) => testTxId(n, '0190d000');

function stations(keys: ReturnType<typeof generateTestKeyset>['keys']) {
  const reader = new FakeCardReader();
  const ledger = memoryLedger();
  const kiosk = new CardStation({ reader, vault: vaultFor(keys, ['debit', 'read']), terminal_id: 1, card_ref_key: REF_KEY, ledger });
  const booth = new CardStation({ reader, vault: vaultFor(keys, ['credit', 'read', 'issuer']), terminal_id: 2, card_ref_key: REF_KEY, ledger });
  return { reader, ledger, kiosk, booth };
}

function tx(n: number, card: { card_ref: string; balance_minor: number; tmac_counter: number }, direction: 'debit' | 'credit', amount_minor: number): PaymentTx {
  return {
    tx_id: TX(n), kind: direction === 'debit' ? 'parking' : 'top_up', direction, card_ref: card.card_ref, masked_serial: '**** 6789', amount_minor,
    balance_before_minor: card.balance_minor, expected_balance_after_minor: card.balance_minor + (direction === 'debit' ? -amount_minor : amount_minor),
    tmac_counter_before: card.tmac_counter, quote_ref: direction === 'debit' ? 'q' : null, reverses_tx_id: null, shift_id: null, staff_ref: null, authorised_by: null,
  };
}

/** What a stranger's reader gets from the identity file, without any key. */
function identityWithoutKey(sim: DesfireSim): string {
  sim.powerOn();
  sim.transmit(Buffer.from('905A00000343560100', 'hex'));
  const answer = sim.transmit(Buffer.from('90BD0000070000000000000000', 'hex'));
  sim.powerOff();
  return answer.toString('hex');
}

async function pay(env: ReturnType<typeof stations>, station: CardStation, sim: DesfireSim, n: number, direction: 'debit' | 'credit', amount: number) {
  env.reader.insertCard(sim);
  const read = await station.readCard();
  if (!read.ok) throw new Error(read.error);
  const t = tx(n, read.value, direction, amount);
  await env.ledger.writeIntent(t);
  const result = await station.write(t);
  if (result.status === 'committed') await env.ledger.recordCommitted(t, result.evidence);
  await station.release();
  env.reader.removeCard();
  return { read: read.value, result };
}

describe('a card of the old layout', () => {
  it('is read and charged as before, and migrated at its next top-up: then its identity answers only the identification key', async () => {
    const { keys } = generateTestKeyset();
    const sim = await issueLegacyCard(keys, 2_000);
    const env = stations(keys);
    expect(identityWithoutKey(sim)).toMatch(/^01/); // the old card tells its number to anyone: format 1, then the serial

    const paid = await pay(env, env.kiosk, sim, 1, 'debit', 300);
    expect(paid.read.balance_minor).toBe(2_000);
    expect(paid.result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 1_700 } });

    const topUp = await pay(env, env.booth, sim, 2, 'credit', 500);
    expect(topUp.result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 2_200 } });
    expect(topUp.read.card_ref).toBe(paid.read.card_ref); // the same card reference before and after: the ledger's history stays whole

    expect(identityWithoutKey(sim)).toBe('91ae'); // AUTHENTICATION_ERROR: nothing without the key
    const reading = await new Purse(new InMemoryCardTransport(sim), { vault: vaultFor(keys, ['debit', 'read']) }).read({ history: 'all' });
    expect(reading.format).toBe(MIGRATED_IDENTITY_FORMAT);
    expect(reading.balance_minor).toBe(2_200);
    expect(reading.all_records.map((r) => r.kind)).toEqual(['issue', 'debit', 'credit']);

    // Every station keeps working with it: the kiosk charges it, the booth tops it up and reads its history.
    expect((await pay(env, env.kiosk, sim, 3, 'debit', 200)).result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 2_000 } });
    expect((await pay(env, env.booth, sim, 4, 'credit', 100)).result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 2_100 } });
    const booth = await new Purse(new InMemoryCardTransport(sim), { vault: vaultFor(keys, ['credit', 'read']) }).read({ history: 'all' });
    expect(booth.all_records).toHaveLength(5);
    // Random ID was turned on too (the card still had its factory PICC key).
    sim.powerOn();
    const uid1 = sim.transmit(Buffer.from('FFCA000000', 'hex'));
    sim.powerOff();
    sim.powerOn();
    const uid2 = sim.transmit(Buffer.from('FFCA000000', 'hex'));
    sim.powerOff();
    expect(uid1.equals(uid2)).toBe(false);
  });

  it('a migration torn at any step leaves a card every station reads, and the next top-up finishes it', async () => {
    const { keys } = generateTestKeyset();
    for (let apdu = 4; apdu <= 18; apdu++) { // 3 for the credit, 15 for the migration
      const sim = await issueLegacyCard(keys, 2_000);
      const env = stations(keys);
      env.reader.insertCard(sim);
      const read = await env.booth.readCard();
      if (!read.ok) throw new Error(read.error);
      const t = tx(1, read.value, 'credit', 500);
      await env.ledger.writeIntent(t);
      env.reader.tearAt({ apdu, when: 'after' }); // Credit, WriteRecord, Commit, then the migration's steps
      const result = await env.booth.write(t);
      env.reader.tearAt(null);
      await env.booth.release();
      env.reader.removeCard();
      const committed = apdu >= 3;
      expect(result.status === 'committed' || result.status === 'uncertain', `tear after APDU ${apdu}`).toBe(true);
      if (result.status === 'committed') await env.ledger.recordCommitted(t, result.evidence);

      // The kiosk and the booth still read it, whatever step the tear hit.
      for (const station of [env.kiosk, env.booth]) {
        env.reader.insertCard(sim);
        const again = await station.readCard();
        expect(again.ok, `tear after APDU ${apdu}`).toBe(true);
        if (again.ok) expect(again.value.balance_minor).toBe(committed ? 2_500 : 2_000);
        await station.release();
        env.reader.removeCard();
      }
      await pay(env, env.booth, sim, 2, 'credit', 100);
      expect(identityWithoutKey(sim), `tear after APDU ${apdu}`).toBe('91ae');
    }
  });
});
