import { describe, expect, it, afterEach } from 'vitest';
import { vaultFor as vault } from '../../support/card-fixtures';
import { issueCard, CardAlreadyIssuedError } from '../../../src/card/issuance';
import { generateTestKeyset } from '../../../src/card/keys/keyset-file';
import { type KeyRole } from '../../../src/card/keys/keyvault';
import { txTagOf } from '../../../src/card/layout';
import { NotCivicardError, Purse, WrongKeysError } from '../../../src/card/purse';
import { resetSelftestCache, SelftestFailedError } from '../../../src/card/selftest';
import { blankCardState, DesfireSim } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';

const TX = (n: number) => `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;


async function issuedCard(balance_minor: number) {
  const keyset = generateTestKeyset();
  const sim = new DesfireSim({ state: blankCardState() });
  const transport = new InMemoryCardTransport(sim);
  const issuer = vault(keyset.keys, ['issuer', 'debit', 'credit', 'read', 'tmac', 'ident']);
  const issued = await issueCard(transport, { vault: issuer, opening_balance_minor: balance_minor, limit_minor: 50_000, program_id: 1, valid_years: 5, tx_id: TX(0) });
  const kiosk = vault(keyset.keys, ['debit', 'read']);
  const attendant = vault(keyset.keys, ['credit', 'read']);
  return { keyset, sim, transport, issued, kiosk, attendant, issuer };
}

afterEach(() => resetSelftestCache());

describe('purse over the card simulator', () => {
  it('issues a card that reads back its opening balance and record', async () => {
    const { transport, kiosk, issued } = await issuedCard(2_000);
    transport.reinsert();
    const reading = await new Purse(transport, { vault: kiosk }).read();
    expect(reading.balance_minor).toBe(2_000);
    expect(reading.serial).toBe(issued.identity.serial);
    expect(reading.masked_serial).toMatch(/^\*\*\*\* \d{4}$/);
    expect(reading.last_records.map((r) => r.kind)).toEqual(['issue']);
    expect(reading.card_number).toHaveLength(8);
    expect(reading.tmac_counter).toBe(1); // the opening record was the card's first committed transaction
  });

  it('debits, credits and credits back, each with a history record and TMAC counter', async () => {
    const { transport, kiosk, attendant } = await issuedCard(1_000);
    transport.reinsert();
    const atKiosk = new Purse(transport, { vault: kiosk });
    await atKiosk.read();
    const debit = await atKiosk.debit(TX(1), 250);
    expect(debit).toMatchObject({ outcome: 'committed', balance_after_minor: 750 });
    if (debit.outcome !== 'committed') throw new Error('unreachable');
    expect(debit.tmac_counter).toBe(2);
    expect(debit.tmac_value_hex).toMatch(/^[0-9A-F]{16}$/);

    const back = await atKiosk.creditBack(TX(2), 250);
    expect(back).toMatchObject({ outcome: 'committed', balance_after_minor: 1_000 });

    transport.reinsert();
    const atStation = new Purse(transport, { vault: attendant });
    await atStation.read();
    expect(await atStation.credit(TX(3), 500)).toMatchObject({ outcome: 'committed', balance_after_minor: 1_500 });

    transport.reinsert();
    const reading = await new Purse(transport, { vault: kiosk }).read({ history: 'all' });
    expect(reading.balance_minor).toBe(1_500);
    expect(reading.last_records.map((r) => [r.kind, r.tx_tag, r.balance_after_minor])).toEqual([
      ['issue', txTagOf(TX(0)), 1_000],
      ['debit', txTagOf(TX(1)), 750],
      ['credit_back', txTagOf(TX(2)), 1_000],
      ['credit', txTagOf(TX(3)), 1_500],
    ]);
  });

  it('refuses a debit above the balance and changes nothing', async () => {
    const { transport, kiosk, sim } = await issuedCard(100);
    transport.reinsert();
    const purse = new Purse(transport, { vault: kiosk });
    await purse.read();
    const before = JSON.stringify(sim.state);
    expect(await purse.debit(TX(1), 101)).toMatchObject({ outcome: 'refused', reason: 'insufficient_funds' });
    expect(JSON.stringify(sim.state)).toBe(before);
  });

  it('a kiosk cannot credit: the resident keyset holds no credit key', async () => {
    const { transport, kiosk } = await issuedCard(100);
    transport.reinsert();
    const purse = new Purse(transport, { vault: kiosk });
    await purse.read();
    expect(await purse.credit(TX(1), 50)).toMatchObject({ outcome: 'refused', reason: 'card_refused' });
  });

  it('refuses another keyset, and the master key used without diversification', async () => {
    const { transport, keyset } = await issuedCard(100);
    transport.reinsert();
    const other = vault(generateTestKeyset().keys, ['debit', 'read']);
    await expect(new Purse(transport, { vault: other }).read()).rejects.toBeInstanceOf(WrongKeysError);
    transport.reinsert();
    const undiversified = { label: 'raw', testOnly: true, has: () => true, cardKey: (role: KeyRole) => Buffer.from(keyset.keys[role], 'hex'), identificationKey: () => Buffer.from(keyset.keys.ident, 'hex') };
    await expect(new Purse(transport, { vault: undiversified }).read()).rejects.toBeInstanceOf(WrongKeysError);
  });

  it('will not issue a card twice, and says a blank card is not a Civicard', async () => {
    const { transport, issuer } = await issuedCard(0);
    transport.reinsert();
    await expect(issueCard(transport, { vault: issuer, opening_balance_minor: 0, limit_minor: 50_000, program_id: 1, valid_years: 5, tx_id: TX(9) })).rejects.toBeInstanceOf(CardAlreadyIssuedError);
    const blank = new InMemoryCardTransport(new DesfireSim({ state: blankCardState() }));
    await expect(new Purse(blank, { vault: issuer }).read()).rejects.toBeInstanceOf(NotCivicardError);
  });

  it('refuses to move money when the crypto self-test failed, before sending anything', async () => {
    const { transport, kiosk } = await issuedCard(500);
    transport.reinsert();
    const purse = new Purse(transport, { vault: kiosk });
    await purse.read();
    const sent = transport.apdus;
    resetSelftestCache({ outcomes: [{ section: 'cmac', index: 0, source: 'x', passed: false, detail: 'broken' }], passed: 0, failed: 1, unrunnable: [], ok: false });
    await expect(purse.debit(TX(1), 100)).rejects.toBeInstanceOf(SelftestFailedError);
    expect(transport.apdus).toBe(sent);
  });

  it('a tear at any APDU of a debit leaves the card committed or unchanged, and the purse says which', async () => {
    const { transport, kiosk, sim } = await issuedCard(1_000);
    const apdusPerDebit = 3; // Debit, WriteRecord, CommitTransaction
    let balance = 1_000;
    let n = 1;
    for (let apdu = 1; apdu <= apdusPerDebit; apdu++) {
      for (const when of ['before', 'after'] as const) {
        transport.reinsert();
        const purse = new Purse(transport, { vault: kiosk });
        const { tmac_counter } = await purse.read();
        const tx = TX(100 + n++);
        transport.tearAt({ apdu, when });
        const outcome = await purse.debit(tx, 10);
        transport.tearAt(null);
        transport.reinsert();
        const settle = await new Purse(transport, { vault: kiosk }).settle(tx, tmac_counter!);
        const committedOnCard = settle.outcome === 'committed';
        expect(settle.balance_minor).toBe(committedOnCard ? balance - 10 : balance);
        if (outcome.outcome === 'committed') expect(committedOnCard).toBe(true);
        if (outcome.outcome === 'not_committed' || outcome.outcome === 'refused') expect(committedOnCard).toBe(false);
        // Only a tear after the commit reached the card may commit.
        expect(committedOnCard).toBe(apdu === 3 && when === 'after');
        expect(outcome.outcome).toBe(apdu === 3 ? 'uncertain' : 'not_committed');
        if (committedOnCard) balance -= 10;
        expect(sim.state).toBeDefined();
      }
    }
  });
});
