import { DesfireClient } from '../../src/card/desfire';
import { diversificationInputFor } from '../../src/card/purse';
import {
  APP_KEY_SETTINGS,
  CIVICARD_AID,
  encodeIdentity,
  encodeLegacyRecord,
  HISTORY_FILE,
  KEY,
  KEY_VERSION,
  LEGACY_APP_KEY_COUNT,
  LEGACY_IDENTITY_FILE,
  LEGACY_IDENTITY_FORMAT,
  PICC_AID,
  PURSE_FILE,
  TMAC_FILE,
} from '../../src/card/layout';
import { blankCardState, DesfireSim } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';
import { vaultFor, type TestKeys } from './card-fixtures';

// A card issued with layout 1, as cards were before the identification key:
// four keys, a free-read identity file, records with terminal and whole tx id,
// no Random ID. Only tests make these now: stations must keep reading them and
// migrate them at their next top-up.

const DEFAULT_KEY = Buffer.alloc(16);

export async function issueLegacyCard(keys: TestKeys, opening_minor: number, serial = '000123456789'): Promise<DesfireSim> {
  const sim = new DesfireSim({ state: blankCardState() });
  const client = new DesfireClient(new InMemoryCardTransport(sim));
  const vault = vaultFor(keys, ['issuer', 'debit', 'credit', 'read', 'tmac']);
  const m = diversificationInputFor(serial);
  await client.selectApplication(PICC_AID);
  await client.createApplication(CIVICARD_AID, APP_KEY_SETTINGS, LEGACY_APP_KEY_COUNT);
  await client.selectApplication(CIVICARD_AID);
  await client.authenticate(KEY.issuer, DEFAULT_KEY);
  await client.createStdDataFile(LEGACY_IDENTITY_FILE);
  const identity = { format: LEGACY_IDENTITY_FORMAT, program_id: 1, serial, issued_on: '2025-01-02', expires_on: '2030-01-02', status: 'active' as const, limit_minor: 50_000 };
  await client.writeData(LEGACY_IDENTITY_FILE.fileNo, 0, encodeIdentity(identity), LEGACY_IDENTITY_FILE.mode);
  await client.createValueFile({ ...PURSE_FILE, lower_minor: 0, upper_minor: 50_000, value_minor: opening_minor, limitedCredit: true });
  await client.createCyclicRecordFile(HISTORY_FILE);
  await client.createTransactionMacFile({ ...TMAC_FILE, key: vault.cardKey('tmac', m), keyVersion: KEY_VERSION });
  await client.changeKey(KEY.debit, vault.cardKey('debit', m), KEY_VERSION, DEFAULT_KEY);
  await client.changeKey(KEY.credit, vault.cardKey('credit', m), KEY_VERSION, DEFAULT_KEY);
  await client.changeKey(KEY.read, vault.cardKey('read', m), KEY_VERSION, DEFAULT_KEY);
  await client.authenticate(KEY.credit, vault.cardKey('credit', m), 'nonFirst');
  const opening = encodeLegacyRecord({ kind: 'issue', tx_id: '0190a000-0000-7000-8000-00000000aaaa', amount_minor: opening_minor, balance_after_minor: opening_minor, terminal_id: 0 });
  await client.writeRecord(HISTORY_FILE.fileNo, 0, opening, HISTORY_FILE.mode);
  await client.commitTransaction(true);
  await client.authenticate(KEY.issuer, DEFAULT_KEY, 'nonFirst');
  await client.changeKey(KEY.issuer, vault.cardKey('issuer', m), KEY_VERSION);
  return sim;
}
