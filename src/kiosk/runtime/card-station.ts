import { createHmac } from 'node:crypto';
import type { KeyVault } from '../../card/keys/keyvault';
import type { CardRecord } from '../../card/layout';
import type { CardIdentity } from '../../card/layout';
import { cardNumberBytes, IdentificationKeyMissingError, NotCivicardError, Purse, WrongKeysError, type CardReading, type HistoryNeed, type ValueChangeOutcome } from '../../card/purse';
import type { CardReader, CardSession } from '../../../hardware/pcsc/types';
import type {
  CardEvidence,
  CardRead,
  CardRecordSummary,
  CardWriteResult,
  PaymentTx,
  ReadCardError,
  ReadCardResult,
  ReadHistoryResult,
  SettleUncertainResult,
} from '../machines/contracts';
import { err, ok } from '../machines/contracts';
import type { KioskLedgerPort } from './ledger-port';
import { settleCard, settleFromReading, type SettledTx } from './settlement';

// The card side of the kiosk: turns the machines' card actors (readCard,
// debitCard/creditCard, settleUncertain) into purse operations on the card that
// is on the reader, holding it exclusively from the read to the end of the
// payment. Cards are known to the rest of the kiosk only by a keyed hash.
// With its ledger, every read also settles that card's open intents from what
// the card shows (settlement.ts), before anything else is done with the card.

export interface CardStationOptions {
  reader: CardReader;
  vault: KeyVault;
  terminal_id: number;
  /** City-wide key for card references (from the signed config): the UID itself never leaves this class. */
  card_ref_key: Buffer;
  reader_name?: string;
  isHotlisted?: (card_ref: string) => boolean;
  /** The station's ledger: open intents of a card are settled whenever it is read. Without it nothing is settled here. */
  ledger?: KioskLedgerPort;
}

/**
 * A card's reference: HMAC-SHA256(card_ref_key, card number), first 16 bytes,
 * hex. The card number is readable only with the identification key (like the
 * real UID behind random ID); taking it instead of GetCardUID saves the
 * resident an APDU at every tap.
 */
export function cardRefOf(card_number: Buffer, key: Buffer): string {
  return createHmac('sha256', key).update(card_number).digest().subarray(0, 16).toString('hex');
}

export class CardStation {
  private session: CardSession | null = null;
  private purse: Purse | null = null;
  private current: { card_ref: string; reading: CardReading; settled: Map<string, SettledTx> } | null = null;

  constructor(private readonly opts: CardStationOptions) {}

  /** Waits for a card (until `signal` aborts), reads it and keeps holding it. */
  async readCard(signal?: AbortSignal): Promise<ReadCardResult> {
    await this.release();
    let session: CardSession;
    try {
      session = await this.opts.reader.waitForCard({ reader: this.opts.reader_name, timeout_ms: 24 * 3_600_000, signal });
    } catch (e) {
      return err(readError(e));
    }
    this.session = session;
    this.purse = new Purse(session, { vault: this.opts.vault });
    try {
      // The whole history only when this card has something to settle here (an APDU saved otherwise).
      const { ledger } = this.opts;
      const history = async (identity: CardIdentity): Promise<HistoryNeed> =>
        ledger && (await ledger.openIntentsOf(cardRefOf(cardNumberBytes(identity.serial), this.opts.card_ref_key))).length > 0 ? 'all' : 'newest';
      const reading = await this.purse.read({ history });
      const card_ref = cardRefOf(reading.card_number, this.opts.card_ref_key);
      const settled = this.opts.ledger ? await settleCard(this.opts.ledger, card_ref, reading) : new Map<string, SettledTx>();
      this.current = { card_ref, reading, settled };
      return ok(toCardRead(card_ref, reading, this.opts.isHotlisted?.(card_ref) ?? false));
    } catch (e) {
      await this.release();
      return err(readError(e));
    }
  }

  /**
   * Debits or credits the card read last, per `tx.direction`. After a
   * committed top-up at a station that holds the issuer key, a card of the old
   * layout (free-read identity) is migrated while it is still on the reader; a
   * migration that fails is tried again at the next top-up.
   */
  async write(tx: PaymentTx): Promise<CardWriteResult> {
    if (!this.purse || !this.current) return { status: 'refused', reason: 'card_absent' };
    if (this.current.card_ref !== tx.card_ref) return { status: 'refused', reason: 'card_mismatch' };
    const outcome = tx.direction === 'debit' ? await this.purse.debit(tx.tx_id, tx.amount_minor) : await this.purse.credit(tx.tx_id, tx.amount_minor);
    if (outcome.outcome === 'committed' && tx.direction === 'credit' && this.opts.vault.has('issuer')) await this.purse.migrateToKeyedIdentity().catch(() => undefined);
    return toWriteResult(outcome);
  }

  /** Hands back what the last debit took (LimitedCredit), on the card still held. */
  async creditBack(tx: PaymentTx): Promise<CardWriteResult> {
    if (!this.purse || !this.current) return { status: 'refused', reason: 'card_absent' };
    if (this.current.card_ref !== tx.card_ref) return { status: 'refused', reason: 'card_mismatch' };
    return toWriteResult(await this.purse.creditBack(tx.tx_id, tx.amount_minor));
  }

  /**
   * Reads whatever card is presented; for the card of `tx`, says what the read
   * settled for it (the `settled` entry is already in the ledger).
   */
  async settle(tx: PaymentTx, signal?: AbortSignal): Promise<SettleUncertainResult> {
    if (!this.opts.ledger) throw new Error('a card station settles only with its ledger');
    const read = await this.readCard(signal);
    if (!read.ok) return read;
    const card_ref = read.value.card_ref;
    if (card_ref !== tx.card_ref) return ok({ card_ref, outcome: 'different_card' });
    return this.answerFor(tx, this.current!.settled.get(tx.tx_id));
  }

  /**
   * The card still held, read again in the same session to settle `tx` (a
   * credit back tried a second time); null when that card is not held.
   */
  async settleHeld(tx: PaymentTx): Promise<SettleUncertainResult | null> {
    if (!this.opts.ledger) throw new Error('a card station settles only with its ledger');
    if (!this.purse || !this.current || this.current.card_ref !== tx.card_ref) return null;
    let reading: CardReading;
    try {
      reading = await this.purse.read({ history: 'all' });
    } catch (e) {
      return err(readError(e));
    }
    return this.answerFor(tx, await settleFromReading(this.opts.ledger, tx, reading));
  }

  private async answerFor(tx: PaymentTx, settled: SettledTx | undefined): Promise<SettleUncertainResult> {
    const card_ref = tx.card_ref;
    if (settled === undefined) {
      // Not open any more: settled before (or by another read). The ledger says how.
      const state = await this.opts.ledger!.txState(tx.tx_id);
      if (state?.state === 'committed') return ok({ card_ref, outcome: 'committed', balance_after_minor: state.balance_after_minor ?? state.expected_balance_after_minor });
      if (state?.state === 'aborted') return ok({ card_ref, outcome: 'not_committed' });
      return ok({ card_ref, outcome: 'unknown' });
    }
    if (settled.outcome === 'not_recorded') return err(settled.error);
    return ok({ card_ref, ...settled });
  }

  /** The whole history of the card still held (the resident asked for it). */
  async readHistory(): Promise<ReadHistoryResult> {
    if (!this.purse || !this.current) return err('card_removed');
    try {
      const reading = await this.purse.read({ history: 'all' });
      return ok(reading.all_records.map(toSummary));
    } catch (e) {
      return err(readError(e));
    }
  }

  /** Lets go of the card (end of a payment, or the resident walked away). */
  async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.purse = null;
    this.current = null;
    await session?.release();
  }
}

function readError(e: unknown): ReadCardError {
  if (e instanceof NotCivicardError || e instanceof WrongKeysError || e instanceof IdentificationKeyMissingError) return 'not_a_civicard';
  const kind = (e as { kind?: unknown }).kind;
  if (kind === 'card_removed' || kind === 'no_card' || kind === 'session_closed') return 'card_removed';
  if (kind === 'no_reader' || kind === 'pcscd_unavailable' || kind === 'reader') return 'reader_lost';
  return 'unreadable';
}

function toCardRead(card_ref: string, r: CardReading, hotlisted: boolean): CardRead {
  return {
    card_ref,
    masked_serial: r.masked_serial,
    balance_minor: r.balance_minor,
    expires_on: r.expires_on,
    status: r.status,
    hotlisted,
    tmac_counter: r.tmac_counter ?? 0,
    recent: r.last_records.map(toSummary),
  };
}

function toSummary(r: CardRecord): CardRecordSummary {
  return { tx_tag: r.tx_tag, direction: r.kind === 'debit' ? 'debit' : 'credit', amount_minor: r.amount_minor, balance_after_minor: r.balance_after_minor };
}

function toWriteResult(o: ValueChangeOutcome): CardWriteResult {
  switch (o.outcome) {
    case 'committed': {
      const evidence: CardEvidence = { balance_after_minor: o.balance_after_minor, tmac_counter: o.tmac_counter ?? 0, tmac_value: o.tmac_value_hex ?? '' };
      return { status: 'committed', evidence };
    }
    case 'refused':
      return { status: 'refused', reason: o.reason === 'insufficient_funds' ? 'insufficient_funds' : o.reason === 'over_limit' ? 'over_purse_limit' : 'permission_denied' };
    case 'not_committed':
      return { status: 'refused', reason: o.reason === 'card_error' ? 'not_committed_on_card' : 'card_absent' };
    case 'uncertain':
      return { status: 'uncertain', reason: 'card_removed' };
  }
}
