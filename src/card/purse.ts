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
  /** Every record the card still holds, newest last: what settlement looks in. */
  all_records: CardRecord[];
}

export type ValueChangeOutcome =
  | { outcome: 'committed'; tx_id: string; balance_after_minor: number; tmac_counter: number | null; tmac_value_hex: string | null }
  | { outcome: 'refused'; tx_id: string; reason: 'insufficient_funds' | 'over_limit' | 'card_blocked' | 'card_refused'; detail: string }
  /** The card certainly did not change: no commit reached it. */
  | { outcome: 'not_committed'; tx_id: string; reason: 'card_removed' | 'reader_lost' | 'card_error'; detail: string }
  /** The commit may or may not have happened: ask for the same card again and settle. */
  | { outcome: 'uncertain'; tx_id: string; detail: string };

/**
 * What the card shows about one transaction (DESIGN §3). `proof` says how:
 * `tmac`, its newest record, with the Transaction MAC of that very commit;
 * `card_record`, an older record still in its history; `counter_unchanged`,
 * its transaction counter is where it was before the change, so nothing
 * committed. `unknown`: no record and the counter moved (the card was used
 * since and the record may have rotated out) — absence of a record alone never
 * proves a payment did not happen.
 */
export type Settlement =
  | { outcome: 'committed'; proof: 'tmac' | 'card_record'; record: CardRecord; balance_minor: number; tmac_counter: number; tmac_value_hex: string | null }
  | { outcome: 'not_committed'; proof: 'counter_unchanged'; balance_minor: number; tmac_counter: number }
  | { outcome: 'unknown'; balance_minor: number; tmac_counter: number | null };

/** Decides from one reading of the card (history included) whether `tx_id`, begun at `counter_before`, committed. */
export function settlementFrom(reading: Pick<CardReading, 'all_records' | 'balance_minor' | 'tmac_counter' | 'tmac_value_hex'>, tx_id: string, counter_before: number): Settlement {
  const { all_records, balance_minor, tmac_counter } = reading;
  const record = all_records.find((r) => r.tx_id === tx_id);
  if (record && tmac_counter !== null && tmac_counter > counter_before) {
    const newest = all_records.at(-1) === record;
    return { outcome: 'committed', proof: newest ? 'tmac' : 'card_record', record, balance_minor, tmac_counter, tmac_value_hex: newest ? reading.tmac_value_hex : null };
  }
  if (!record && tmac_counter === counter_before) return { outcome: 'not_committed', proof: 'counter_unchanged', balance_minor, tmac_counter };
  return { outcome: 'unknown', balance_minor, tmac_counter };
}

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
    const all_records = await this.readHistory();
    const last_records = all_records.slice(-(this.opts.records_to_read ?? 5));
    if (historyKeyNo !== keyNo) await this.authenticate(keyNo, 'nonFirst');
    // A read-only station knows the balance from the newest record, written in the same card transaction as the value.
    balance_minor ??= all_records.at(-1)?.balance_after_minor ?? 0;
    const tmac_counter = tmac?.counter ?? null;
    const tmac_value_hex = tmac?.value_hex ?? null;
    this.reading = { ...identity, masked_serial: maskSerial(identity.serial), uid, balance_minor, tmac_counter, tmac_value_hex, last_records, all_records };
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

  /** After an uncertain outcome, on the same card: did `tx_id`, begun at `counter_before`, commit? The card's history and counter decide. */
  async settle(tx_id: string, counter_before: number): Promise<Settlement> {
    return settlementFrom(await this.read(), tx_id, counter_before);
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
   * All records (count 0), newest last. Asking for
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
    return raw.map((r) => decodeRecord(r)).filter((r): r is CardRecord => r !== null);
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
    const counter_before = reading.tmac_counter;
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
      // Even an error status proves nothing: it carries no MAC, and a relay can
      // forge one after the card committed. Ask the card while it is still here.
      const detail = err instanceof Error ? err.message : String(err);
      return counter_before === null ? { outcome: 'uncertain', tx_id, detail } : this.settleInSession(tx_id, counter_before, detail);
    }
  }

  private async settleInSession(tx_id: string, counter_before: number, detail: string): Promise<ValueChangeOutcome> {
    let settlement: Settlement;
    try {
      settlement = await this.settle(tx_id, counter_before);
    } catch {
      return { outcome: 'uncertain', tx_id, detail }; // the card left: the next tap settles it
    }
    if (settlement.outcome === 'not_committed') return { outcome: 'not_committed', tx_id, reason: 'card_error', detail: `${detail}; the card's counter did not move` };
    if (settlement.outcome === 'committed' && settlement.proof === 'tmac') {
      return { outcome: 'committed', tx_id, balance_after_minor: settlement.record.balance_after_minor, tmac_counter: settlement.tmac_counter, tmac_value_hex: settlement.tmac_value_hex };
    }
    return { outcome: 'uncertain', tx_id, detail };
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
