import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultFor as vault } from '../support/card-fixtures';
import { issueCard } from '../../src/card/issuance';
import { generateTestKeyset } from '../../src/card/keys/keyset-file';
import { type KeyRole } from '../../src/card/keys/keyvault';
import { txTagOf } from '../../src/card/layout';
import { Purse, WrongKeysError } from '../../src/card/purse';
import { openCardReader } from '../../hardware/pcsc';
import type { CardReader, CardSession } from '../../hardware/pcsc/types';
import { blankCardState, DesfireSim } from '../../hardware/sim/desfire';
import { VirtualCardInserter } from '../../hardware/sim/vpcd';
import { startPcscd, type PcscdHandle } from '../support/pcscd';

// The card protocol end to end through the same stack a real reader uses:
// nfc-pcsc → pcscd → vpcd driver → our DESFire simulator.

const TX = (n: number) => `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const READER = 'Virtual PCD 00 00';


let pcscd: PcscdHandle;
let reader: CardReader;
let sim: DesfireSim;
let inserter: VirtualCardInserter;
const keyset = generateTestKeyset();
const kiosk = vault(keyset.keys, ['debit', 'read']);
const attendant = vault(keyset.keys, ['credit', 'read']);

async function tap<T>(fn: (session: CardSession) => Promise<T>): Promise<T> {
  const session = await reader.waitForCard({ reader: READER, timeout_ms: 10_000 });
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  pcscd = await startPcscd();
  sim = new DesfireSim({ state: blankCardState() });
  inserter = new VirtualCardInserter({ port: 35963, handler: sim });
  await inserter.insert();
  reader = openCardReader({});
});

afterAll(async () => {
  await reader?.close();
  await inserter?.remove();
  await pcscd?.stop();
});

describe('stored-value card through pcscd + vpcd', () => {
  it('issues a blank card, then reads, credits, debits and reads the records', async () => {
    const issued = await tap((s) =>
      issueCard(s, { vault: vault(keyset.keys, ['issuer', 'debit', 'credit', 'read', 'tmac', 'ident']), opening_balance_minor: 1_000, limit_minor: 50_000, program_id: 1, valid_years: 5, tx_id: TX(0) }),
    );
    expect(issued.balance_minor).toBe(1_000);

    const credit = await tap(async (s) => {
      const purse = new Purse(s, { vault: attendant });
      await purse.read();
      return purse.credit(TX(1), 2_000);
    });
    expect(credit).toMatchObject({ outcome: 'committed', balance_after_minor: 3_000 });

    const debit = await tap(async (s) => {
      const purse = new Purse(s, { vault: kiosk });
      await purse.read();
      return purse.debit(TX(2), 350);
    });
    expect(debit).toMatchObject({ outcome: 'committed', balance_after_minor: 2_650 });

    const reading = await tap((s) => new Purse(s, { vault: kiosk }).read({ history: 'all' }));
    expect(reading.balance_minor).toBe(2_650);
    expect(reading.last_records.map((r) => [r.kind, r.tx_tag, r.amount_minor, r.balance_after_minor])).toEqual([
      ['issue', txTagOf(TX(0)), 1_000, 1_000],
      ['credit', txTagOf(TX(1)), 2_000, 3_000],
      ['debit', txTagOf(TX(2)), 350, 2_650],
    ]);
  });

  it('refuses a debit above the balance and changes nothing on the card', async () => {
    const before = JSON.stringify(sim.state);
    const outcome = await tap(async (s) => {
      const purse = new Purse(s, { vault: kiosk });
      const { balance_minor } = await purse.read();
      return purse.debit(TX(3), balance_minor + 1);
    });
    expect(outcome).toMatchObject({ outcome: 'refused', reason: 'insufficient_funds' });
    expect(JSON.stringify(sim.state)).toBe(before);
  });

  it('refuses a wrong keyset and a non-diversified master key', async () => {
    const stranger = vault(generateTestKeyset().keys, ['debit', 'read']);
    await expect(tap((s) => new Purse(s, { vault: stranger }).read())).rejects.toBeInstanceOf(WrongKeysError);
    const undiversified = { label: 'raw', testOnly: true, has: (r: KeyRole) => r === 'debit' || r === 'read' || r === 'ident', cardKey: (r: KeyRole) => Buffer.from(keyset.keys[r], 'hex'), identificationKey: () => Buffer.from(keyset.keys.ident, 'hex') };
    await expect(tap((s) => new Purse(s, { vault: undiversified }).read())).rejects.toBeInstanceOf(WrongKeysError);
  });

  it('a tear at every APDU of a debit leaves the card fully committed or unchanged, and the purse says which', async () => {
    const APDUS_PER_DEBIT = 3; // Debit, WriteRecord, CommitTransaction
    let n = 100;
    for (let apdu = 1; apdu <= APDUS_PER_DEBIT; apdu++) {
      for (const when of ['before', 'after'] as const) {
        const tx = TX(n++);
        const session = await reader.waitForCard({ reader: READER, timeout_ms: 10_000 });
        const purse = new Purse(session, { vault: kiosk });
        const { balance_minor: before, tmac_counter } = await purse.read();
        inserter.tearAt({ apdu, when });
        const outcome = await purse.debit(tx, 25);
        await session.release();
        await inserter.insert(); // the resident taps the same card again
        const settled = await tap((s) => new Purse(s, { vault: kiosk }).settle(tx, tmac_counter!));
        const committed = settled.outcome === 'committed';
        expect(settled.balance_minor, `tear ${when} APDU ${apdu}`).toBe(committed ? before - 25 : before);
        expect(committed, `tear ${when} APDU ${apdu}`).toBe(apdu === APDUS_PER_DEBIT && when === 'after');
        expect(outcome.outcome, `tear ${when} APDU ${apdu}`).toBe(apdu === APDUS_PER_DEBIT ? 'uncertain' : 'not_committed');
      }
    }
  });
});
