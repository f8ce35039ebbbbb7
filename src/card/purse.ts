import { DesfireClient } from './desfire';
import type { KeyRole, KeyVault } from './keys/keyvault';
import {
  CIVICARD_AID,
  decodeIdentity,
  decodeRecord,
  encodeRecord,
  HISTORY_FILE,
  IDENTITY_FILE,
  KEY,
  maskSerial,
  PURSE_FILE,
  SYSTEM_ID,
  TMAC_FILE,
  type CardIdentity,
  type CardRecord,
  type RecordKind,
} from './layout';
import { assertCryptoSelftest } from './selftest';
import { CardProtocolError, DesfireStatusError, SecureMessagingError } from './status';
import type { ApduTransport } from './transport';

// The purse: what the kiosk and attendant station use. It speaks cents, card
// references and transaction ids, never bytes. One Purse = one tap of one card.

export class NotCivicardError extends Error {
  override name = 'NotCivicardError';
  constructor(readonly why: 'blank_or_foreign' | 'not_desfire' | 'unknown_format') {
    super(
      why === 'not_desfire'
        ? 'this is not a Civicard card (the card does not speak DESFire)'
        : why === 'blank_or_foreign'
          ? 'this card has no Civicard application: it is blank or belongs to another system'
          : 'this card has a Civicard application in an unknown format',
    );
  }
}

export class WrongKeysError extends Error {
  override name = 'WrongKeysError';
  constructor() {
    super('the card did not accept this station\'s keys: wrong keyset, or a card of another program');
  }
}

export interface CardReading extends CardIdentity {
  masked_serial: string;
  /** Real UID from GetCardUID. Never log or store it raw: hash it with a key first. */
  uid: Buffer;
  balance_minor: number;
  /** Transaction MAC counter and value of the card's last commit; null for a read-only station. */
  tmac_counter: number | null;
  tmac_value_hex: string | null;
  /** Newest last. */
  last_records: CardRecord[];
}

export type ValueChangeOutcome =
  | { outcome: 'committed'; tx_id: string; balance_after_minor: number; tmac_counter: number | null; tmac_value_hex: string | null }
  | { outcome: 'refused'; tx_id: string; reason: 'insufficient_funds' | 'over_limit' | 'card_blocked' | 'card_refused'; detail: string }
  /** The card certainly did not change: no commit reached it. */
  | { outcome: 'not_committed'; tx_id: string; reason: 'card_removed' | 'reader_lost' | 'card_error'; detail: string }
  /** The commit may or may not have happened: ask for the same card again and settle. */
  | { outcome: 'uncertain'; tx_id: string; detail: string };

export type Settlement =
  /** `tmac_*` are the card's last commit: the evidence for `record` when it is the newest. */
  | { outcome: 'committed'; record: CardRecord; balance_minor: number; tmac_counter: number | null; tmac_value_hex: string | null; newest: boolean }
  | { outcome: 'not_committed'; balance_minor: number; tmac_counter: number | null };

export interface PurseOptions {
  vault: KeyVault;
  /** Written into every history record: which station did it. */
  terminal_id: number;
  /** How many recent records `read()` returns. */
  records_to_read?: number;
  random?: (bytes: number) => Buffer;
}

const ROLE_OF_KEY: Record<number, KeyRole> = { [KEY.debit]: 'debit', [KEY.credit]: 'credit', [KEY.read]: 'read' };

export class Purse {
  readonly client: DesfireClient;
  private identity: CardIdentity | null = null;
  private diversification: Buffer | null = null;
  private reading: CardReading | null = null;
  /** Every record the card still holds, for settling. */
  private allRecords: CardRecord[] = [];

  constructor(
    transport: ApduTransport,
    private readonly opts: PurseOptions,
  ) {
    this.client = new DesfireClient(transport, opts.random ? { random: opts.random } : {});
  }

  /** Select, read the identity file, authenticate with the strongest key this station holds, read value, counter and history. */
  async read(): Promise<CardReading> {
    const identity = await this.selectAndIdentify();
    const keyNo = this.opts.vault.has('credit') ? KEY.credit : this.opts.vault.has('debit') ? KEY.debit : KEY.read;
    await this.authenticate(keyNo, 'first');
    const uid = await this.client.getCardUid();
    let balance_minor: number | null = null;
    let tmac: { counter: number; value_hex: string } | null = null;
    if (keyNo !== KEY.read) {
      balance_minor = await this.client.getValue(PURSE_FILE.fileNo, PURSE_FILE.mode);
      tmac = await this.readTransactionMac();
    }
    const historyKeyNo = keyNo === KEY.credit ? KEY.read : keyNo; // K2 may write history but not read it
    if (historyKeyNo !== keyNo) await this.authenticate(historyKeyNo, 'nonFirst');
    const last_records = await this.readHistory();
    if (historyKeyNo !== keyNo) await this.authenticate(keyNo, 'nonFirst');
    // A read-only station knows the balance from the newest record, written in the same card transaction as the value.
    balance_minor ??= last_records.at(-1)?.balance_after_minor ?? 0;
    const tmac_counter = tmac?.counter ?? null;
    const tmac_value_hex = tmac?.value_hex ?? null;
    this.reading = { ...identity, masked_serial: maskSerial(identity.serial), uid, balance_minor, tmac_counter, tmac_value_hex, last_records };
    return this.reading;
  }

  debit(tx_id: string, amount_minor: number): Promise<ValueChangeOutcome> {
    return this.changeValue('debit', tx_id, amount_minor);
  }

  credit(tx_id: string, amount_minor: number): Promise<ValueChangeOutcome> {
    return this.changeValue('credit', tx_id, amount_minor);
  }

  /** Hands back up to what the last debit transaction took (LimitedCredit), e.g. when a service refuses a paid fine. */
  creditBack(tx_id: string, amount_minor: number): Promise<ValueChangeOutcome> {
    return this.changeValue('credit_back', tx_id, amount_minor);
  }

  /** After an uncertain outcome, on the same card: did `tx_id` commit? The card's history and counter decide. */
  async settle(tx_id: string): Promise<Settlement> {
    const reading = await this.read();
    const record = this.allRecords.find((r) => r.tx_id === tx_id);
    if (record) {
      const newest = this.allRecords.at(-1) === record;
      return { outcome: 'committed', record, balance_minor: reading.balance_minor, tmac_counter: reading.tmac_counter, tmac_value_hex: reading.tmac_value_hex, newest };
    }
    return { outcome: 'not_committed', balance_minor: reading.balance_minor, tmac_counter: reading.tmac_counter };
  }

  private async selectAndIdentify(): Promise<CardIdentity> {
    try {
      await this.client.selectApplication(CIVICARD_AID);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'APPLICATION_NOT_FOUND') throw new NotCivicardError('blank_or_foreign');
      if (err instanceof CardProtocolError) throw new NotCivicardError('not_desfire');
      throw err;
    }
    let identity: CardIdentity | null;
    try {
      identity = decodeIdentity(await this.client.readData(IDENTITY_FILE.fileNo, 0, IDENTITY_FILE.size, IDENTITY_FILE.mode));
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'FILE_NOT_FOUND') throw new NotCivicardError('unknown_format');
      throw err;
    }
    if (!identity) throw new NotCivicardError('unknown_format');
    this.identity = identity;
    this.diversification = diversificationInputFor(identity.serial);
    return identity;
  }

  private async authenticate(keyNo: number, kind: 'first' | 'nonFirst'): Promise<void> {
    const role = keyNo === KEY.issuer ? 'issuer' : ROLE_OF_KEY[keyNo]!;
    const key = this.opts.vault.cardKey(role, this.diversification!);
    try {
      await this.client.authenticate(keyNo, key, kind);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'AUTHENTICATION_ERROR') throw new WrongKeysError();
      if (err instanceof Error && err.name === 'AuthProtocolError') throw new WrongKeysError();
      throw err;
    }
  }

  /**
   * All records (count 0), newest last, trimmed to `records_to_read`. Asking for
   * a fixed count would fail with BOUNDARY_ERROR on a young card and cost a new
   * authentication; the whole file is at most two frames.
   */
  private async readHistory(): Promise<CardRecord[]> {
    let raw: Buffer[];
    try {
      raw = await this.client.readRecords(HISTORY_FILE.fileNo, 0, 0, HISTORY_FILE.recordSize, HISTORY_FILE.mode);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'BOUNDARY_ERROR') return []; // no records yet
      throw err;
    }
    this.allRecords = raw.map((r) => decodeRecord(r)).filter((r): r is CardRecord => r !== null);
    return this.allRecords.slice(-(this.opts.records_to_read ?? 5));
  }

  private async readTransactionMac(): Promise<{ counter: number; value_hex: string }> {
    const tmac = await this.client.readData(TMAC_FILE.fileNo, 0, 12, TMAC_FILE.mode);
    if (tmac.length !== 12) throw new CardProtocolError(`Transaction MAC file answered ${tmac.length} bytes, expected 12`);
    return { counter: tmac.readUInt32LE(0), value_hex: tmac.subarray(4, 12).toString('hex').toUpperCase() };
  }

  private async changeValue(kind: RecordKind, tx_id: string, amount_minor: number): Promise<ValueChangeOutcome> {
    assertCryptoSelftest();
    const reading = this.reading;
    if (!reading) throw new CardProtocolError('read the card before changing its value');
    if (!Number.isInteger(amount_minor) || amount_minor <= 0) throw new RangeError(`amount must be a positive integer of minor units, got ${amount_minor}`);
    if (reading.status !== 'active') return { outcome: 'refused', tx_id, reason: 'card_blocked', detail: 'this card is blocked' };
    const sign = kind === 'debit' ? -1 : 1;
    const balance_after_minor = reading.balance_minor + sign * amount_minor;
    if (balance_after_minor < 0) return { outcome: 'refused', tx_id, reason: 'insufficient_funds', detail: `balance ${reading.balance_minor} is less than ${amount_minor}` };
    if (balance_after_minor > reading.limit_minor) return { outcome: 'refused', tx_id, reason: 'over_limit', detail: `balance would exceed the card limit of ${reading.limit_minor}` };

    const record = encodeRecord({ kind, tx_id, amount_minor, balance_after_minor, terminal_id: this.opts.terminal_id });
    try {
      if (kind === 'debit') await this.client.debit(PURSE_FILE.fileNo, amount_minor, PURSE_FILE.mode);
      else if (kind === 'credit') await this.client.credit(PURSE_FILE.fileNo, amount_minor, PURSE_FILE.mode);
      else await this.client.limitedCredit(PURSE_FILE.fileNo, amount_minor, PURSE_FILE.mode);
      await this.client.writeRecord(HISTORY_FILE.fileNo, 0, record, HISTORY_FILE.mode);
    } catch (err) {
      return refusedOrNotCommitted(tx_id, err);
    }
    // From here the card may have committed: any failure is uncertain, never guessed.
    try {
      const commit = await this.client.commitTransaction(true);
      const tmac_value_hex = commit.tmac_value?.toString('hex').toUpperCase() ?? null;
      this.reading = { ...reading, balance_minor: balance_after_minor, tmac_counter: commit.tmac_counter, tmac_value_hex };
      return {
        outcome: 'committed',
        tx_id,
        balance_after_minor,
        tmac_counter: commit.tmac_counter,
        tmac_value_hex,
      };
    } catch (err) {
      if (err instanceof DesfireStatusError) return { outcome: 'not_committed', tx_id, reason: 'card_error', detail: err.message };
      return { outcome: 'uncertain', tx_id, detail: err instanceof Error ? err.message : String(err) };
    }
  }
}

function refusedOrNotCommitted(tx_id: string, err: unknown): ValueChangeOutcome {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof DesfireStatusError) {
    if (err.status === 'BOUNDARY_ERROR') return { outcome: 'refused', tx_id, reason: 'insufficient_funds', detail };
    return { outcome: 'refused', tx_id, reason: 'card_refused', detail };
  }
  if (err instanceof SecureMessagingError || err instanceof CardProtocolError) return { outcome: 'not_committed', tx_id, reason: 'card_error', detail };
  // Reader errors carry a `kind` (hardware/pcsc); anything but a removed card means the reader or pcscd went away.
  const kind = (err as { kind?: unknown }).kind;
  const reason = kind === undefined || kind === 'card_removed' ? 'card_removed' : 'reader_lost';
  return { outcome: 'not_committed', tx_id, reason, detail };
}

/** AN10922 input M = serial (8 bytes) ‖ AID ‖ system id. */
export function diversificationInputFor(serial: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(serial));
  return Buffer.concat([b, CIVICARD_AID, SYSTEM_ID]);
}
