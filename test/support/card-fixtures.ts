import { issueCard } from '../../src/card/issuance';
import { cardNumberBytes } from '../../src/card/purse';
import { generateTestKeyset } from '../../src/card/keys/keyset-file';
import { SoftwareKeyVault, type KeyRole } from '../../src/card/keys/keyvault';
import { blankCardState, DesfireSim } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';

// Cards and keysets for tests: a station's vault holds only the roles it is
// given, exactly as a real station's keyset would.

export type TestKeys = Record<KeyRole, string>;

export function vaultFor(keys: TestKeys, roles: KeyRole[]): SoftwareKeyVault {
  const masters: Partial<Record<KeyRole, Buffer>> = {};
  for (const r of [...roles, 'ident' as const]) if (keys[r]) masters[r] = Buffer.from(keys[r], 'hex'); // every station holds the identification key
  return new SoftwareKeyVault('test', true, masters);
}

export const ALL_ROLES: KeyRole[] = ['issuer', 'debit', 'credit', 'read', 'tmac', 'ident'];

/** A test transaction id that sorts by `n`. */
export function testTxId(n: number, prefix = '0190a000'): string {
  return `${prefix}-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A simulated card issued on the desk (no reader) with `opening_minor`, and the keyset that issued it. */
export async function issuedSimCard(opening_minor: number, keys: TestKeys = generateTestKeyset().keys) {
  const sim = new DesfireSim({ state: blankCardState() });
  const issued = await issueCard(new InMemoryCardTransport(sim), {
    vault: vaultFor(keys, ALL_ROLES),
    opening_balance_minor: opening_minor,
    limit_minor: 50_000,
    program_id: 1,
    valid_years: 5,
    tx_id: testTxId(0),
  });
  return { sim, keys, issued, card_number: cardNumberBytes(issued.identity.serial) };
}
