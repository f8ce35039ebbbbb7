import { DesfireClient } from './desfire';
import type { KeyVault } from './keys/keyvault';
import {
  CIVICARD_AID,
  decodeIdentity,
  decodeRecord,
  encodeIdentity,
  encodeRecord,
  HISTORY_FILE,
  IDENTITY_FILE,
  IDENTITY_FORMAT,
  KEY,
  KEY_VERSION,
  LEGACY_IDENTITY_FILE,
  maskSerial,
  MIGRATED_HISTORY_ACCESS,
  MIGRATED_IDENTITY_ACCESS,
  MIGRATED_IDENTITY_FORMAT,
  PICC_AID,
  PURSE_FILE,
  SYSTEM_ID,
  TMAC_FILE,
  txTagOf,
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

export class IdentificationKeyMissingError extends Error {
  override name = 'IdentificationKeyMissingError';
  constructor() {
    super('this keyset has no identification key: without it the card shows nothing (not even its number)');
  }
}

export interface CardReading extends CardIdentity {
  masked_serial: string;
  /** The card number as bytes: what the card reference is a keyed hash of. Never log or store it raw. */
  card_number: Buffer;
  balance_minor: number;
  /** Transaction MAC counter now (before any change in this session); null when this station cannot know it. */
  tmac_counter: number | null;
  /** Transaction MAC value of the card's last commit, when it was read (settling) or returned by a commit here. */
  tmac_value_hex: string | null;
  /** Newest last, at most `records_to_read`. */
  last_records: CardRecord[];
  /** The records that were read, newest last: all of them when `history_complete`, else the newest only. */
  all_records: CardRecord[];
  history_complete: boolean;
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
 * `card_record`, a record still in its history (no Transaction MAC for it at
 * hand); `counter_unchanged`, its transaction counter is where it was before
 * the change, so nothing committed. `unknown`: no record and the counter moved
 * (the card was used since and the record may have rotated out) — absence of a
 * record alone never proves a payment did not happen.
 */
export type Settlement =
  | { outcome: 'committed'; proof: 'tmac' | 'card_record'; record: CardRecord; balance_minor: number; tmac_counter: number; tmac_value_hex: string | null }
  | { outcome: 'not_committed'; proof: 'counter_unchanged'; balance_minor: number; tmac_counter: number }
  | { outcome: 'unknown'; balance_minor: number; tmac_counter: number | null };

/** Decides from one reading of the card (its whole history) whether `tx_id`, begun at `counter_before`, committed. */
export function settlementFrom(reading: Pick<CardReading, 'all_records' | 'balance_minor' | 'tmac_counter' | 'tmac_value_hex' | 'history_complete'>, tx_id: string, counter_before: number): Settlement {
  const { all_records, balance_minor, tmac_counter } = reading;
  const tag = txTagOf(tx_id);
  const record = all_records.find((r) => r.tx_tag === tag);
  if (record && tmac_counter !== null && tmac_counter > counter_before) {
    const newest = all_records.at(-1) === record;
    const tmac = newest && reading.tmac_value_hex !== null;
    return { outcome: 'committed', proof: tmac ? 'tmac' : 'card_record', record, balance_minor, tmac_counter, tmac_value_hex: tmac ? reading.tmac_value_hex : null };
  }
  if (!record && tmac_counter === counter_before) return { outcome: 'not_committed', proof: 'counter_unchanged', balance_minor, tmac_counter };
  return { outcome: 'unknown', balance_minor, tmac_counter };
}

export interface PurseOptions {
  vault: KeyVault;
  /** How many recent records `read()` returns in `last_records`. */
  records_to_read?: number;
  random?: (bytes: number) => Buffer;
}

/** 'all': the whole history (settling; the resident's history screen). 'newest': the newest record, which carries balance and counter. */
export type HistoryNeed = 'all' | 'newest';

export interface ReadOptions {
  /** Decided once the card's identity is known (e.g. whether the ledger holds an unsettled intent for it). */
  history?: HistoryNeed | ((identity: CardIdentity) => HistoryNeed | Promise<HistoryNeed>);
}

type Role = 'debit' | 'credit' | 'read';
const KEY_OF_ROLE: Record<Role, number> = { debit: KEY.debit, credit: KEY.credit, read: KEY.read };
/** A blank card's PICC master key as it leaves the factory (AES, all zero). */
export const FACTORY_PICC_KEY = Buffer.alloc(16);
export const RANDOM_ID = 0x02;

/**
 * How this card is laid out, learnt while identifying it. `legacy`: layout 1
 * (four keys, free-read identity). `migrating`: a layout-1 card whose
 * migration was interrupted (its K3 is already the identification key).
 * `migrated`: done; K3 is the identification key, K2 reads the history.
 */
export type Layout = 'current' | 'migrated' | 'migrating' | 'legacy';

export class Purse {
  readonly client: DesfireClient;
  private identity: CardIdentity | null = null;
  private diversification: Buffer | null = null;
  private layout: Layout = 'current';
  /** Whether the session the identification left open can carry on (NonFirst). */
  private sessionAlive = false;
  private reading: CardReading | null = null;

  constructor(
    transport: ApduTransport,
    private readonly opts: PurseOptions,
  ) {
    this.client = new DesfireClient(transport, opts.random ? { random: opts.random } : {});
  }

  /** The layout found by the last read: 'legacy' and 'migrating' cards are migrated at their next top-up. */
  get cardLayout(): Layout {
    return this.layout;
  }

  /**
   * Layout 1 → keyed identity, on a card read in this session with a station
   * that holds the issuer key. Idempotent and resumable: a tear at any step
   * leaves a card every station still reads, and the next call finishes it.
   * Steps: K3 becomes the identification key (layout 1 has no fifth key); the
   * identity file is readable only with it, in full encryption; the history
   * goes to K1/K2; Random ID on where the card still has its factory PICC key;
   * last, the identity says format 3.
   */
  async migrateToKeyedIdentity(): Promise<void> {
    const identity = this.identity;
    if (!identity || (this.layout !== 'legacy' && this.layout !== 'migrating')) return;
    const div = this.diversification!;
    await this.client.selectApplication(CIVICARD_AID);
    await this.client.authenticate(KEY.issuer, this.opts.vault.cardKey('issuer', div), 'first');
    if (this.layout === 'legacy') await this.client.changeKey(KEY.read, this.opts.vault.identificationKey(), KEY_VERSION, this.opts.vault.cardKey('read', div));
    await this.client.changeFileSettings(IDENTITY_FILE.fileNo, 'full', MIGRATED_IDENTITY_ACCESS);
    await this.client.changeFileSettings(HISTORY_FILE.fileNo, HISTORY_FILE.mode, MIGRATED_HISTORY_ACCESS);
    await this.enableRandomIdIfFactoryPiccKey();
    await this.client.selectApplication(CIVICARD_AID);
    await this.client.authenticate(KEY.issuer, this.opts.vault.cardKey('issuer', div), 'first');
    await this.client.writeData(IDENTITY_FILE.fileNo, 0, encodeIdentity({ ...identity, format: MIGRATED_IDENTITY_FORMAT }), 'full');
    this.layout = 'migrated';
    this.identity = { ...identity, format: MIGRATED_IDENTITY_FORMAT };
  }

  private async enableRandomIdIfFactoryPiccKey(): Promise<void> {
    await this.client.selectApplication(PICC_AID);
    try {
      await this.client.authenticate(0, FACTORY_PICC_KEY, 'first');
    } catch (err) {
      if (err instanceof DesfireStatusError) return; // the issuer changed the PICC key: its own tooling sets Random ID
      throw err;
    }
    await this.client.setConfiguration(0x00, Buffer.from([RANDOM_ID]));
  }

  /**
   * Select, identify with the identification key, authenticate with the
   * strongest key this station holds, then balance and counter: from the
   * newest history record (one APDU) where this key may read history, else
   * from the value and Transaction MAC files. The whole history only when asked.
   */
  async read(opts: ReadOptions = {}): Promise<CardReading> {
    const identity = await this.identify();
    const role: Role = this.opts.vault.has('credit') ? 'credit' : this.opts.vault.has('debit') ? 'debit' : 'read';
    await this.authenticate(KEY_OF_ROLE[role], this.sessionAlive ? 'nonFirst' : 'first');
    const need = typeof opts.history === 'function' ? await opts.history(identity) : (opts.history ?? 'newest');

    let records: CardRecord[];
    let balance_minor: number | null = null;
    let tmac: { counter: number; value_hex: string } | null = null;
    if (this.mayReadHistory(role)) {
      records = await this.readHistory(need);
      if (need === 'all' && role === 'debit') tmac = await this.readTransactionMac(); // settling: the TMAC of the newest commit
    } else {
      balance_minor = await this.client.getValue(PURSE_FILE.fileNo, PURSE_FILE.mode);
      tmac = await this.readTransactionMac();
      records = need === 'all' ? await this.readHistoryWithReadKey(role) : [];
    }
    const newest = records.at(-1);
    let tmac_counter = tmac?.counter ?? (newest?.counter_before != null ? newest.counter_before + 1 : null);
    if (balance_minor === null && newest?.counter_before != null) balance_minor = newest.balance_after_minor;
    if (balance_minor === null && role !== 'read') {
      // A card whose newest record is from layout 1 carries no counter: ask the files.
      balance_minor = await this.client.getValue(PURSE_FILE.fileNo, PURSE_FILE.mode);
      tmac = await this.readTransactionMac();
      tmac_counter = tmac.counter;
    }
    balance_minor ??= newest?.balance_after_minor ?? 0;
    this.reading = {
      ...identity,
      masked_serial: maskSerial(identity.serial),
      card_number: cardNumberBytes(identity.serial),
      balance_minor,
      tmac_counter,
      tmac_value_hex: tmac?.value_hex ?? null,
      last_records: records.slice(-(this.opts.records_to_read ?? 5)),
      all_records: records,
      history_complete: need === 'all',
    };
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
    return settlementFrom(await this.read({ history: 'all' }), tx_id, counter_before);
  }

  /**
   * Select the application and learn who the card is. A current card answers
   * the identification key (K4) and gives its identity file only in full
   * encryption; a migrated layout-1 card has the identification key at K3; a
   * legacy card has no fifth key and a free-read identity file.
   */
  private async identify(): Promise<CardIdentity> {
    if (!this.opts.vault.has('ident')) throw new IdentificationKeyMissingError();
    try {
      await this.client.selectApplication(CIVICARD_AID);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'APPLICATION_NOT_FOUND') throw new NotCivicardError('blank_or_foreign');
      if (err instanceof CardProtocolError) throw new NotCivicardError('not_desfire');
      throw err;
    }
    const ident = this.opts.vault.identificationKey();
    let raw: Buffer;
    this.sessionAlive = true;
    if (await this.tryAuthenticate(KEY.ident, ident)) {
      this.layout = 'current';
      raw = await this.readIdentity(IDENTITY_FILE.mode);
    } else if (await this.tryAuthenticate(KEY.read, ident)) {
      // A layout-1 card with the identification key at K3: migrated, or torn before its identity was keyed.
      const keyed = await this.readIdentity(IDENTITY_FILE.mode).catch((err: unknown) => {
        // The file still answers in plain (its migration was torn before it was keyed): read it as layout 1 does.
        if (err instanceof SecureMessagingError || err instanceof CardProtocolError || err instanceof DesfireStatusError || err instanceof WrongKeysError) return null;
        throw err;
      });
      if (keyed) raw = keyed;
      else {
        await this.client.selectApplication(CIVICARD_AID);
        this.sessionAlive = false;
        raw = await this.readIdentity(LEGACY_IDENTITY_FILE.mode);
      }
      this.layout = decodeIdentity(raw)?.format === MIGRATED_IDENTITY_FORMAT ? 'migrated' : 'migrating';
    } else {
      this.layout = 'legacy';
      this.sessionAlive = false;
      raw = await this.readIdentity(LEGACY_IDENTITY_FILE.mode);
    }
    const identity = decodeIdentity(raw);
    if (!identity) throw new NotCivicardError('unknown_format');
    if ((identity.format === IDENTITY_FORMAT) !== (this.layout === 'current')) throw new NotCivicardError('unknown_format');
    this.identity = identity;
    this.diversification = diversificationInputFor(identity.serial);
    return identity;
  }

  /** False when the card has no such key or refuses this one (a layout this step does not fit). */
  private async tryAuthenticate(keyNo: number, key: Buffer): Promise<boolean> {
    try {
      await this.client.authenticate(keyNo, key, 'first');
      return true;
    } catch (err) {
      if (err instanceof DesfireStatusError && (err.status === 'NO_SUCH_KEY' || err.status === 'AUTHENTICATION_ERROR')) return false;
      if (err instanceof Error && err.name === 'AuthProtocolError') return false;
      throw err;
    }
  }

  private async readIdentity(mode: 'plain' | 'full'): Promise<Buffer> {
    try {
      return await this.client.readData(IDENTITY_FILE.fileNo, 0, IDENTITY_FILE.size, mode);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'FILE_NOT_FOUND') throw new NotCivicardError('unknown_format');
      if (err instanceof DesfireStatusError && (err.status === 'AUTHENTICATION_ERROR' || err.status === 'PERMISSION_DENIED')) throw new WrongKeysError();
      throw err;
    }
  }

  /** Who reads history: K1 always (ReadWrite); K3 on current and layout-1 cards; K2 once a layout-1 card is migrated. */
  private mayReadHistory(role: Role): boolean {
    if (role === 'debit') return true;
    if (role === 'read') return this.layout === 'current' || this.layout === 'legacy';
    return this.layout === 'migrated';
  }

  private async authenticate(keyNo: number, kind: 'first' | 'nonFirst'): Promise<void> {
    const role = keyNo === KEY.issuer ? 'issuer' : (Object.keys(KEY_OF_ROLE) as Role[]).find((r) => KEY_OF_ROLE[r] === keyNo)!;
    const key = this.opts.vault.cardKey(role, this.diversification!);
    try {
      await this.client.authenticate(keyNo, key, kind);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'AUTHENTICATION_ERROR') throw new WrongKeysError();
      if (err instanceof Error && err.name === 'AuthProtocolError') throw new WrongKeysError();
      throw err;
    }
  }

  /** The newest record (RecNo 0, one record), or all of them (count 0), newest last. A card with no records answers BOUNDARY_ERROR. */
  private async readHistory(need: HistoryNeed): Promise<CardRecord[]> {
    let raw: Buffer[];
    try {
      raw = await this.client.readRecords(HISTORY_FILE.fileNo, 0, need === 'all' ? 0 : 1, HISTORY_FILE.recordSize, HISTORY_FILE.mode);
    } catch (err) {
      if (err instanceof DesfireStatusError && err.status === 'BOUNDARY_ERROR') return [];
      throw err;
    }
    return raw.map((r) => decodeRecord(r)).filter((r): r is CardRecord => r !== null);
  }

  /**
   * A credit station reads history with the key at K3 — the read key, or on a
   * card whose migration was interrupted, already the identification key —
   * then takes its own key back.
   */
  private async readHistoryWithReadKey(role: Role): Promise<CardRecord[]> {
    if (this.layout === 'migrating') await this.client.authenticate(KEY.read, this.opts.vault.identificationKey(), 'nonFirst');
    else await this.authenticate(KEY.read, 'nonFirst');
    const records = await this.readHistory('all');
    await this.authenticate(KEY_OF_ROLE[role], 'nonFirst');
    return records;
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
    if (reading.tmac_counter === null) throw new CardProtocolError('this station cannot know the card\'s counter, so it may not change its value');
    if (reading.status !== 'active') return { outcome: 'refused', tx_id, reason: 'card_blocked', detail: 'this card is blocked' };
    const sign = kind === 'debit' ? -1 : 1;
    const balance_after_minor = reading.balance_minor + sign * amount_minor;
    if (balance_after_minor < 0) return { outcome: 'refused', tx_id, reason: 'insufficient_funds', detail: `balance ${reading.balance_minor} is less than ${amount_minor}` };
    if (balance_after_minor > reading.limit_minor) return { outcome: 'refused', tx_id, reason: 'over_limit', detail: `balance would exceed the card limit of ${reading.limit_minor}` };

    const counter_before = reading.tmac_counter;
    const record = encodeRecord({ kind, tx_id, amount_minor, balance_after_minor, counter_before });
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
      return { outcome: 'committed', tx_id, balance_after_minor, tmac_counter: commit.tmac_counter, tmac_value_hex };
    } catch (err) {
      // Even an error status proves nothing: it carries no MAC, and a relay can
      // forge one after the card committed. Ask the card while it is still here.
      return this.settleInSession(tx_id, counter_before, err instanceof Error ? err.message : String(err));
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

/** The card number (12 digits) as the 8 bytes the card stores. */
export function cardNumberBytes(serial: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(serial));
  return b;
}

/** AN10922 input M = card number (8 bytes) ‖ AID ‖ system id. */
export function diversificationInputFor(serial: string): Buffer {
  return Buffer.concat([cardNumberBytes(serial), CIVICARD_AID, SYSTEM_ID]);
}
