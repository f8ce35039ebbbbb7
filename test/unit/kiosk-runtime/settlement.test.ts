import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { issuedSimCard, testTxId, vaultFor } from '../../support/card-fixtures';
import { Purse } from '../../../src/card/purse';
import type { PaymentTx } from '../../../src/kiosk/machines/contracts';
import { CardStation } from '../../../src/kiosk/runtime/card-station';
import { startResidentKiosk } from '../../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../../support/fixed-fee';
import type { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import { memoryLedger } from '../ledger/helpers';

// Settlement by the card's own counter (issue 6, points 1–3), with the real
// ledger on :memory:, the card simulator and the real purse and card station.

const REF_KEY = Buffer.alloc(32, 7);
const TX = (n: number) => testTxId(n, '0190c000');

async function kioskStation(balance_minor = 1_000) {
  const { sim, keys } = await issuedSimCard(balance_minor);
  const reader = new FakeCardReader();
  const ledger = memoryLedger();
  const station = new CardStation({ reader, vault: vaultFor(keys, ['debit', 'read']), terminal_id: 5, card_ref_key: REF_KEY, ledger });
  /** Another kiosk somewhere else in the city, with its own ledger. */
  const elsewhere = async (times: number) => {
    for (let i = 0; i < times; i++) {
      const purse = new Purse(new InMemoryCardTransport(sim), { vault: vaultFor(keys, ['debit', 'read']) });
      await purse.read();
      expect(await purse.debit(TX(500 + i), 10)).toMatchObject({ outcome: 'committed' });
    }
  };
  return { sim, keys, reader, ledger, station, elsewhere };
}

/** Reads the card, writes the intent (as the machines do) and debits with a tear planned. */
async function tornDebit(env: Awaited<ReturnType<typeof kioskStation>>, n: number, tear: { apdu: number; when: 'before' | 'after' }): Promise<PaymentTx> {
  const { reader, station, ledger, sim } = env;
  reader.insertCard(sim);
  const read = await station.readCard();
  if (!read.ok) throw new Error(read.error);
  const tx: PaymentTx = {
    tx_id: TX(n), kind: 'library_fine', direction: 'debit', card_ref: read.value.card_ref, masked_serial: read.value.masked_serial, amount_minor: 250,
    balance_before_minor: read.value.balance_minor, expected_balance_after_minor: read.value.balance_minor - 250, tmac_counter_before: read.value.tmac_counter,
    quote_ref: 'fixed:library_fine:q', reverses_tx_id: null, shift_id: null, staff_ref: null, authorised_by: null,
  };
  expect((await ledger.writeIntent(tx)).ok).toBe(true);
  reader.tearAt(tear);
  expect(await station.write(tx)).toMatchObject({ status: tear.apdu === 3 ? 'uncertain' : 'refused' });
  reader.tearAt(null);
  await station.release();
  reader.removeCard();
  if (tear.apdu === 3) expect((await ledger.recordUncertain(tx, 'card_removed')).ok).toBe(true);
  return tx;
}

const stateOf = (ledger: RuntimeLedger, tx: PaymentTx) => ledger.txBalance(tx.tx_id)?.state;

describe('settlement by the card’s counter, never by absence alone', () => {
  it('a debit torn after commit, then 9 payments elsewhere: stays uncertain for the back office, never aborted', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'after' });
    await env.elsewhere(9); // the history keeps 9 records: the torn one has rotated out
    env.reader.insertCard(env.sim);
    const settled = await env.station.settle(tx);
    expect(settled).toEqual({ ok: true, value: { card_ref: tx.card_ref, outcome: 'unknown' } });
    expect(stateOf(env.ledger, tx)).toBe('uncertain');
    expect(env.ledger.entriesSince(0).map((e) => e.payload.kind)).not.toContain('aborted');
    expect(env.ledger.entriesSince(0).map((e) => e.payload.kind)).not.toContain('settled');
  });

  it('a debit torn after commit, then 5 payments elsewhere: its record is still on the card, settled committed', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'after' });
    await env.elsewhere(5);
    env.reader.insertCard(env.sim);
    expect(await env.station.settle(tx)).toEqual({ ok: true, value: { card_ref: tx.card_ref, outcome: 'committed', balance_after_minor: 750 } });
    const settled = env.ledger.entriesSince(0).find((e) => e.payload.kind === 'settled')!.payload;
    expect(settled).toMatchObject({ kind: 'settled', outcome: 'committed', evidence: { proof: 'card_record', tmac_value: null, balance_minor: 700, tmac_counter: 7 } });
    expect(stateOf(env.ledger, tx)).toBe('committed');
    // The library still has to hear of it: the post waits for store and forward, long after the resident left.
    expect(env.ledger.entriesSince(0).at(-1)!.payload).toEqual({ kind: 'service_post', tx_id: tx.tx_id });
    expect((await env.ledger.unansweredServicePosts()).map((t) => t.tx_id)).toEqual([tx.tx_id]);
  });

  it('a debit torn after commit and tapped again at once: the newest record and its Transaction MAC settle it', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'after' });
    env.reader.insertCard(env.sim);
    expect(await env.station.settle(tx)).toMatchObject({ ok: true, value: { outcome: 'committed', balance_after_minor: 750 } });
    expect(env.ledger.entriesSince(0).find((e) => e.payload.kind === 'settled')!.payload).toMatchObject({ kind: 'settled', outcome: 'committed', evidence: { proof: 'tmac', balance_minor: 750, tmac_counter: 2 } });
  });

  it('a debit torn before the commit reached the card: the counter is unchanged, settled not committed', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'before' });
    env.reader.insertCard(env.sim);
    expect(await env.station.settle(tx)).toEqual({ ok: true, value: { card_ref: tx.card_ref, outcome: 'not_committed' } });
    expect(env.ledger.entriesSince(0).at(-1)!.payload).toMatchObject({ kind: 'settled', outcome: 'aborted', evidence: { proof: 'counter_unchanged', balance_minor: 1_000, tmac_counter: 1 } });
  });

  it('a card used elsewhere after a tear before commit: no record, counter moved — stays uncertain', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'before' });
    await env.elsewhere(1);
    env.reader.insertCard(env.sim);
    expect(await env.station.settle(tx)).toMatchObject({ ok: true, value: { outcome: 'unknown' } });
    expect(stateOf(env.ledger, tx)).toBe('uncertain');
  });

  it('every read of a card settles that card’s open intents, and only that card’s', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'after' });
    const other = await issuedSimCard(500, env.keys);
    env.reader.insertCard(other.sim);
    expect((await env.station.readCard()).ok).toBe(true);
    await env.station.release();
    env.reader.removeCard();
    expect(stateOf(env.ledger, tx)).toBe('uncertain');
    env.reader.insertCard(env.sim);
    const read = await env.station.readCard(); // any read, for any purpose
    expect(read.ok).toBe(true);
    expect(stateOf(env.ledger, tx)).toBe('committed');
  });
});

/** The card commits, but the answer the kiosk gets is an error status word (a relay forged it, or the field glitched). */
function forgedCommitError(sim: DesfireSim) {
  return {
    get atr() {
      return sim.atr;
    },
    powerOn: () => sim.powerOn(),
    powerOff: () => sim.powerOff(),
    transmit: (apdu: Buffer) => {
      const answer = sim.transmit(apdu);
      return apdu[1] === 0xc7 ? Buffer.from([0x91, 0x9e]) : answer;
    },
  };
}

describe('a commit that answers with an error status', () => {
  it('is settled from the card in the same session: committed, with the card’s own evidence', async () => {
    const env = await kioskStation();
    env.reader.insertCard(forgedCommitError(env.sim));
    const read = await env.station.readCard();
    if (!read.ok) throw new Error(read.error);
    const tx: PaymentTx = {
      tx_id: TX(1), kind: 'parking', direction: 'debit', card_ref: read.value.card_ref, masked_serial: read.value.masked_serial, amount_minor: 200,
      balance_before_minor: 1_000, expected_balance_after_minor: 800, tmac_counter_before: read.value.tmac_counter, quote_ref: 'q', reverses_tx_id: null, shift_id: null, staff_ref: null, authorised_by: null,
    };
    const result = await env.station.write(tx);
    expect(result).toMatchObject({ status: 'committed', evidence: { balance_after_minor: 800, tmac_counter: 2 } });
    await expect(new Purse(new InMemoryCardTransport(env.sim), { vault: vaultFor(env.keys, ['debit', 'read']) }).read()).resolves.toMatchObject({ balance_minor: 800 });
  });
});

describe('recovery at boot, in the product', () => {
  it('marks intents a crash left open as uncertain, serves the next resident, and settles when the card is read', async () => {
    const env = await kioskStation();
    const tx = await tornDebit(env, 1, { apdu: 3, when: 'after' });
    // The crash: nothing after the intent was written (no uncertain entry either).
    const crashed = memoryLedger();
    for (const e of env.ledger.entriesSince(0)) if (e.payload.kind === 'intent') crashed.append(e.payload as never);
    const station = new CardStation({ reader: env.reader, vault: vaultFor(env.keys, ['debit', 'read']), terminal_id: 5, card_ref_key: REF_KEY, ledger: crashed });
    const actor = startResidentKiosk({
      reader: env.reader,
      station,
      ledger: crashed,
      printer: new EscPosPrinter(new SimPrinterTransport()),
      services: [new FixedFeeService('parking', 200)],
      risk: { policy: DEFAULT_RISK_POLICY, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
      receipt: { kiosk_id: 'K-1', location_label: 'Branch', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
      language: () => 'en',
    });
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 }); // nobody waits for the missing card
    expect(crashed.entriesSince(0).map((e) => e.payload)).toEqual([expect.objectContaining({ kind: 'intent' }), { kind: 'uncertain', tx_id: tx.tx_id, unknown: 'card_commit', cause: 'kiosk_restarted' }]);

    const neighbour = await issuedSimCard(2_000, env.keys);
    env.reader.insertCard(neighbour.sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    actor.send({ type: 'CANCEL' });
    env.reader.removeCard();

    env.reader.insertCard(env.sim); // the resident comes back, days later
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    expect(crashed.txBalance(tx.tx_id)).toMatchObject({ state: 'committed', balance_after_minor: 750 });
    actor.stop();
  });
});
