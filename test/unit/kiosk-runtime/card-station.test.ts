import { describe, expect, it } from 'vitest';
import { issuedSimCard, vaultFor as vault } from '../../support/card-fixtures';
import { generateTestKeyset } from '../../../src/card/keys/keyset-file';
import type { PaymentTx } from '../../../src/kiosk/machines/contracts';
import { CardStation, cardRefOf } from '../../../src/kiosk/runtime/card-station';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { blankCardState, DesfireSim } from '../../../hardware/sim/desfire';
import { memoryLedger } from '../ledger/helpers';

const REF_KEY = Buffer.alloc(32, 7);
const TX = (n: number) => `0190c000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;


async function setup(balance_minor = 1_000) {
  const { sim, keys, card_number } = await issuedSimCard(balance_minor);
  const reader = new FakeCardReader();
  reader.insertCard(sim);
  const station = new CardStation({ reader, vault: vault(keys, ['debit', 'read']), terminal_id: 5, card_ref_key: REF_KEY, isHotlisted: () => false });
  return { sim, reader, station, card_number };
}

function payment(card_ref: string, tx_id: string, amount_minor: number, balance_before_minor: number): PaymentTx {
  return {
    tx_id, kind: 'library_fine', direction: 'debit', card_ref, masked_serial: '**** **** 0000', amount_minor, balance_before_minor,
    expected_balance_after_minor: balance_before_minor - amount_minor, tmac_counter_before: 1, quote_ref: 'q', reverses_tx_id: null, shift_id: null, staff_ref: null, authorised_by: null,
  };
}

describe('CardStation', () => {
  it('reads a card as a keyed reference, never its UID or number, and debits it with Transaction MAC evidence', async () => {
    const { sim, station, card_number } = await setup();
    const read = await station.readCard();
    if (!read.ok) throw new Error(read.error);
    expect(read.value.card_ref).toBe(cardRefOf(card_number, REF_KEY));
    expect(JSON.stringify(read.value)).not.toContain(card_number.toString('hex'));
    expect(JSON.stringify(read.value)).not.toContain(sim.state.uidHex.toLowerCase());
    expect(read.value).toMatchObject({ balance_minor: 1_000, status: 'active', hotlisted: false, tmac_counter: 1 });
    const result = await station.write(payment(read.value.card_ref, TX(1), 300, 1_000));
    expect(result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 700, tmac_counter: 2 } });
    if (result.status === 'committed') expect(result.evidence.tmac_value).toMatch(/^[0-9A-F]{16}$/);
  });

  it('reads the newest record at a tap, and the whole history only when asked', async () => {
    const { station } = await setup();
    const read = await station.readCard();
    if (!read.ok) throw new Error(read.error);
    await station.write(payment(read.value.card_ref, TX(1), 300, 1_000));
    expect(read.value.recent).toHaveLength(1);
    const history = await station.readHistory();
    expect(history.ok && history.value.map((r) => [r.direction, r.amount_minor, r.balance_after_minor])).toEqual([
      ['credit', 1_000, 1_000],
      ['debit', 300, 700],
    ]);
    await station.release();
    expect(await station.readHistory()).toEqual({ ok: false, error: 'card_removed' });
  });

  it('refuses to write to a different card than the one read', async () => {
    const { station } = await setup();
    const read = await station.readCard();
    if (!read.ok) throw new Error(read.error);
    expect(await station.write(payment('another-card', TX(1), 100, 1_000))).toEqual({ status: 'refused', reason: 'card_mismatch' });
  });

  it('reports uncertain when the card leaves after the commit went out, and settles it from the same card', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const reader = new FakeCardReader();
    reader.insertCard(sim);
    const ledger = memoryLedger();
    const station = new CardStation({ reader, vault: vault(keys, ['debit', 'read']), terminal_id: 5, card_ref_key: REF_KEY, ledger });
    const read = await station.readCard();
    if (!read.ok) throw new Error(read.error);
    const tx = payment(read.value.card_ref, TX(2), 250, 1_000);
    await ledger.writeIntent(tx);
    reader.tearAt({ apdu: 3, when: 'after' });
    expect(await station.write(tx)).toMatchObject({ status: 'uncertain' });
    await station.release();
    reader.removeCard();
    reader.insertCard(sim);
    const settled = await station.settle(tx);
    expect(settled).toEqual({ ok: true, value: { card_ref: read.value.card_ref, outcome: 'committed', balance_after_minor: 750 } });
    expect(ledger.txBalance(tx.tx_id)).toMatchObject({ state: 'committed', balance_after_minor: 750 });
  });

  it('says not_a_civicard for a blank card', async () => {
    const reader = new FakeCardReader();
    reader.insertCard(new DesfireSim({ state: blankCardState() }));
    const station = new CardStation({ reader, vault: vault(generateTestKeyset().keys, ['debit', 'read']), terminal_id: 5, card_ref_key: REF_KEY });
    expect(await station.readCard()).toEqual({ ok: false, error: 'not_a_civicard' });
  });
});
