import { randomInt } from 'node:crypto';
import { DesfireClient } from './desfire';
import type { KeyVault } from './keys/keyvault';
import {
  APP_KEY_COUNT,
  APP_KEY_SETTINGS,
  CIVICARD_AID,
  encodeIdentity,
  encodeRecord,
  HISTORY_FILE,
  IDENTITY_FILE,
  KEY,
  KEY_VERSION,
  IDENTITY_FORMAT,
  maskSerial,
  PICC_AID,
  PURSE_FILE,
  TMAC_FILE,
  type CardIdentity,
} from './layout';
import { diversificationInputFor, FACTORY_PICC_KEY, RANDOM_ID } from './purse';
import { assertCryptoSelftest } from './selftest';
import { CardProtocolError, DesfireStatusError } from './status';
import type { ApduTransport } from './transport';

// Personalization of a blank card (DESIGN §2): the application, per-card
// diversified keys, the identity, purse, history and Transaction MAC files, and
// an opening history record so even a read-only station knows the balance.

export class CardAlreadyIssuedError extends Error {
  override name = 'CardAlreadyIssuedError';
  constructor() {
    super('this card already has a Civicard application; refusing to issue it again');
  }
}

export class ForeignCardError extends Error {
  override name = 'ForeignCardError';
  constructor(detail: string) {
    super(`this card cannot be issued: ${detail}`);
  }
}

export interface IssueOptions {
  vault: KeyVault;
  opening_balance_minor: number;
  program_id: number;
  limit_minor: number;
  valid_years: number;
  /** The ledger transaction id of the opening balance. */
  tx_id: string;
  /** The blank card's PICC master key, when it is not the factory default. */
  picc_key?: Buffer;
  today?: Date;
  random?: (bytes: number) => Buffer;
}

export interface IssuedCard {
  identity: CardIdentity;
  masked_serial: string;
  balance_minor: number;
}

const DEFAULT_APP_KEY = Buffer.alloc(16);


export async function issueCard(transport: ApduTransport, opts: IssueOptions): Promise<IssuedCard> {
  assertCryptoSelftest();
  for (const role of ['issuer', 'debit', 'credit', 'read', 'tmac', 'ident'] as const) {
    if (!opts.vault.has(role)) throw new ForeignCardError(`the keyset lacks the ${role} master key, which issuance needs`);
  }
  if (opts.opening_balance_minor < 0 || opts.opening_balance_minor > opts.limit_minor) {
    throw new RangeError(`opening balance must be between 0 and the limit ${opts.limit_minor}`);
  }
  const client = new DesfireClient(transport, opts.random ? { random: opts.random } : {});

  try {
    await client.selectApplication(PICC_AID);
    await client.getVersion();
  } catch (err) {
    if (err instanceof CardProtocolError || err instanceof DesfireStatusError) throw new ForeignCardError('it is not a DESFire EV2-class card');
    throw err;
  }
  try {
    await client.selectApplication(CIVICARD_AID);
    throw new CardAlreadyIssuedError();
  } catch (err) {
    if (!(err instanceof DesfireStatusError && err.status === 'APPLICATION_NOT_FOUND')) throw err;
  }

  const today = opts.today ?? new Date();
  const expiry = new Date(today);
  expiry.setUTCFullYear(expiry.getUTCFullYear() + opts.valid_years);
  const identity: CardIdentity = {
    format: IDENTITY_FORMAT,
    program_id: opts.program_id,
    serial: String(randomInt(1, 1_000_000_000_000)).padStart(12, '0'),
    issued_on: today.toISOString().slice(0, 10),
    expires_on: expiry.toISOString().slice(0, 10),
    status: 'active',
    limit_minor: opts.limit_minor,
  };
  const m = diversificationInputFor(identity.serial);
  const cardKey = {
    issuer: opts.vault.cardKey('issuer', m),
    debit: opts.vault.cardKey('debit', m),
    credit: opts.vault.cardKey('credit', m),
    read: opts.vault.cardKey('read', m),
    tmac: opts.vault.cardKey('tmac', m),
  };

  // Random ID on, always: from now on anticollision shows a fresh random UID at every tap and
  // GetVersion hides the real one, so nothing the card answers without a key is stable.
  await client.selectApplication(PICC_AID);
  await client.authenticate(0, opts.picc_key ?? FACTORY_PICC_KEY);
  await client.setConfiguration(0x00, Buffer.from([RANDOM_ID]));
  await client.selectApplication(PICC_AID);
  await client.createApplication(CIVICARD_AID, APP_KEY_SETTINGS, APP_KEY_COUNT);
  await client.selectApplication(CIVICARD_AID);
  await client.authenticate(KEY.issuer, DEFAULT_APP_KEY);
  await client.createStdDataFile(IDENTITY_FILE);
  await client.writeData(IDENTITY_FILE.fileNo, 0, encodeIdentity(identity), IDENTITY_FILE.mode);
  await client.createValueFile({
    ...PURSE_FILE,
    lower_minor: 0,
    upper_minor: opts.limit_minor,
    value_minor: opts.opening_balance_minor,
    limitedCredit: true,
  });
  await client.createCyclicRecordFile(HISTORY_FILE);
  await client.createTransactionMacFile({ ...TMAC_FILE, key: cardKey.tmac, keyVersion: KEY_VERSION });
  await client.changeKey(KEY.debit, cardKey.debit, KEY_VERSION, DEFAULT_APP_KEY);
  await client.changeKey(KEY.credit, cardKey.credit, KEY_VERSION, DEFAULT_APP_KEY);
  await client.changeKey(KEY.read, cardKey.read, KEY_VERSION, DEFAULT_APP_KEY);
  await client.changeKey(KEY.ident, opts.vault.identificationKey(), KEY_VERSION, DEFAULT_APP_KEY);

  // The opening record, under the credit key (the only one with Write on history besides K1). The
  // Transaction MAC counter starts at 0: this first commit moves it to 1.
  await client.authenticate(KEY.credit, cardKey.credit, 'nonFirst');
  const opening = encodeRecord({ kind: 'issue', tx_id: opts.tx_id, amount_minor: opts.opening_balance_minor, balance_after_minor: opts.opening_balance_minor, counter_before: 0 });
  await client.writeRecord(HISTORY_FILE.fileNo, 0, opening, HISTORY_FILE.mode);
  await client.commitTransaction(true);

  // The issuer key last: a card torn before this point still has the default issuer key and is re-issuable by a technician.
  await client.authenticate(KEY.issuer, DEFAULT_APP_KEY, 'nonFirst');
  await client.changeKey(KEY.issuer, cardKey.issuer, KEY_VERSION);

  // Prove the card answers to its new debit key and holds the opening balance.
  await client.selectApplication(CIVICARD_AID);
  await client.authenticate(KEY.debit, cardKey.debit);
  const balance_minor = await client.getValue(PURSE_FILE.fileNo, PURSE_FILE.mode);
  if (balance_minor !== opts.opening_balance_minor) {
    throw new CardProtocolError(`card reports ${balance_minor} after issuance, expected ${opts.opening_balance_minor}`);
  }
  return { identity, masked_serial: maskSerial(identity.serial), balance_minor };
}
