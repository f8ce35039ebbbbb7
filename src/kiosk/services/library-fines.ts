import { mkdirSync } from 'node:fs';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import { dirname } from 'node:path';
import type { Sip2Client } from '../../library/client';
import { newTxId } from '../../shared/ids';
import type { Minor } from '../../shared/money';
import { err, ok, type FulfilInput, type FulfilResult, type QuoteInput, type QuoteResult, type RefundInput } from '../machines/contracts';
import type { KioskService, ServiceRefundResult } from './types';

// Library fines over SIP2, as a kiosk service. The resident's library card
// number (the SIP2 patron id) is needed again when the fine is paid — after a
// restart too, when the ILS was down — but it never enters the hash-chained
// ledger, which is kept for good: the ledger and the receipt carry an opaque
// quote reference, and the patron id (with the fee ids chosen) waits in a small
// file of its own (0600), removed as soon as the ILS has answered (DESIGN §8:
// what is kept apart is purged). Fee Paid carries our transaction id as BK, the
// same on every retry. The patron's name, if the ILS sends it, goes to the
// screen only (screen_params); the PIN only to the ILS.

/** One fee the resident chose, as the ILS names it (CG) and what it is paid with. */
export interface ChosenFee {
  readonly fee_id: string;
  readonly amount_minor: number;
}

/**
 * What Fee Paid needs once the card is debited: the patron, and the fees chosen
 * (null: pay towards the patron's total, no fee id).
 */
export interface PendingPayment {
  readonly patron_id: string;
  readonly fees: readonly ChosenFee[] | null;
}

/** What the side store holds per quote: the payment, when it was kept, and whether its payment has reached fulfil. */
interface KeptPayment extends PendingPayment {
  readonly kept_at_ms: number;
  readonly fulfilling: boolean;
}

const isChosenFee = (v: unknown): v is ChosenFee =>
  typeof v === 'object' && v !== null && typeof (v as ChosenFee).fee_id === 'string' && Number.isSafeInteger((v as ChosenFee).amount_minor);
const isPending = (v: unknown): v is PendingPayment =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as PendingPayment).patron_id === 'string' &&
  ((v as PendingPayment).fees === null || (Array.isArray((v as PendingPayment).fees) && (v as { fees: unknown[] }).fees.every(isChosenFee)));

/**
 * quote_ref → patron id and chosen fees, kept apart from the ledger, only until
 * the ILS has answered — or, for a quote nobody paid (the resident walked
 * away), until it is stale: a patron id is not kept on disk for nothing.
 */
export class PatronStore {
  /**
   * A final quote is paid within the session that made it (minutes); one no
   * fulfil has reached after this long was abandoned. A paid one reaches fulfil
   * right after the card commit, or at boot when the kiosk stopped in between.
   */
  static readonly ABANDONED_AFTER_MS = 60 * 60_000;

  private readonly entries: Map<string, KeptPayment>;

  private constructor(
    private readonly path: string | null,
    entries: Record<string, KeptPayment>,
    private readonly now: () => number,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /**
   * A store in a file (survives a restart), or in memory (`null`). Reads the
   * older forms (quote_ref → patron id; no kept time) too, counting them kept now.
   */
  static open(path: string | null, o: { now?: () => number } = {}): PatronStore {
    const now = o.now ?? Date.now;
    if (path === null) return new PatronStore(null, {}, now);
    mkdirSync(dirname(path), { recursive: true });
    const text = readFileIfExists(path);
    const parsed = text === null ? {} : (JSON.parse(text) as unknown);
    const fail = () => new Error(`patron store ${path} is not what this kiosk writes; move it aside`);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail();
    const entries: Record<string, KeptPayment> = {};
    for (const [quote_ref, v] of Object.entries(parsed)) {
      if (typeof v === 'string') entries[quote_ref] = { patron_id: v, fees: null, kept_at_ms: now(), fulfilling: false };
      else if (isPending(v)) {
        const kept = (v as Partial<KeptPayment>).kept_at_ms;
        entries[quote_ref] = { patron_id: v.patron_id, fees: v.fees, kept_at_ms: Number.isSafeInteger(kept) ? kept! : now(), fulfilling: (v as Partial<KeptPayment>).fulfilling === true };
      } else throw fail();
    }
    return new PatronStore(path, entries, now);
  }

  /** Keeps a new final quote's payment, and lets go of the quotes abandoned since. */
  keep(quote_ref: string, pending: PendingPayment): void {
    const now = this.now();
    for (const [ref, kept] of this.entries) if (!kept.fulfilling && now - kept.kept_at_ms > PatronStore.ABANDONED_AFTER_MS) this.entries.delete(ref);
    this.entries.set(quote_ref, { patron_id: pending.patron_id, fees: pending.fees, kept_at_ms: now, fulfilling: false });
    this.persist();
  }

  /** The quote's payment has reached fulfil (the card committed): kept until the ILS answers, however long. */
  markFulfilling(quote_ref: string): void {
    const kept = this.entries.get(quote_ref);
    if (kept === undefined || kept.fulfilling) return;
    this.entries.set(quote_ref, { ...kept, fulfilling: true });
    this.persist();
  }

  pendingOf(quote_ref: string): PendingPayment | undefined {
    const kept = this.entries.get(quote_ref);
    return kept === undefined ? undefined : { patron_id: kept.patron_id, fees: kept.fees };
  }

  forget(quote_ref: string): void {
    if (this.entries.delete(quote_ref)) this.persist();
  }

  get size(): number {
    return this.entries.size;
  }

  private persist(): void {
    if (this.path === null) return;
    replaceFileDurably(this.path, JSON.stringify(Object.fromEntries(this.entries)), { mode: 0o600, sync_dir: true });
  }
}

export interface LibraryFinesOptions {
  client: Sip2Client;
  patrons: PatronStore;
  currency: string;
  /** The site asks every patron for their library PIN before showing fines (the ILS may ask too: CQ N). */
  require_pin?: boolean;
  /**
   * The ILS takes Fee Paid for one fee (CG), so a resident may pay some fines and
   * leave others. Default on; it needs fine items with fee ids (the profile), else
   * only the whole total can be paid.
   */
  partial_payment?: boolean;
  /** How long a list of fines shown to choose from stays valid for the final quote. */
  choice_ttl_ms?: number;
  now?: () => number;
}

/** Why a payment of several fees is refused after part of it reached the ILS: only staff can settle it. */
export const PARTIALLY_ACCEPTED = 'partially_accepted';

interface ChoiceOption {
  readonly id: string;
  readonly fee_id: string | null;
  readonly amount_minor: number;
}

/** What the first quote offered, kept in memory only, until the final quote (or expiry). */
interface OpenChoice {
  readonly patron_id: string;
  readonly options: readonly ChoiceOption[];
  /** The options are single fees (paid with CG), not the total. */
  readonly per_fee: boolean;
  readonly fine_count: number;
  readonly screen_params: Readonly<Record<string, string>>;
  readonly at: number;
}

const ALL = 'all';

/**
 * Two quotes per payment. First: the reference is the library card number
 * (scanned or typed), with the PIN when asked; the answer lists the patron's
 * fines to choose from, when the ILS takes single fees and there are several.
 * Then, with `chosen`, the payable quote for those fines; only now is the
 * patron id written to the side store. With nothing to choose (one fine, or an
 * ILS whose fine items carry no fee id: only the total) the first answer is
 * already the payable quote. Fulfil: one Fee Paid per chosen fee
 * (CG = fee id, BK = tx id, or tx id + "/n" for the n-th of several fees, the
 * same on every retry), or one Fee Paid of the total without a fee id.
 */
export class LibraryFineService implements KioskService {
  readonly kind = 'library_fine' as const;
  /** `${card_ref} ${reference}` → the fines offered: the patron id stays out of the machine. */
  private readonly choices = new Map<string, OpenChoice>();

  constructor(private readonly opts: LibraryFinesOptions) {}

  async quote(input: QuoteInput): Promise<QuoteResult> {
    const patron_id = input.reference.trim();
    if (!/^[A-Za-z0-9-]{1,32}$/.test(patron_id)) return err('not_found');
    const key = `${input.card_ref} ${patron_id}`;
    this.dropExpired();
    if (input.chosen !== undefined) {
      const open = this.choices.get(key);
      if (open !== undefined) return this.finalQuote(key, open, input.chosen);
      // Expired or a restart in between: start over (the PIN is asked again if needed).
    }
    if (this.opts.require_pin === true && input.pin === undefined) return err('pin_required');
    let found;
    try {
      found = await this.opts.client.patronFines(patron_id, input.pin === undefined ? {} : { pin: input.pin });
    } catch {
      return err('service_unavailable');
    }
    if (found.status === 'wrong_pin') return err('pin_wrong');
    if (found.status === 'pin_required') return err('pin_required');
    if (found.status !== 'found') return err('not_found');
    const { fines } = found;
    if (fines.currency !== this.opts.currency) return err('service_unavailable');
    if (fines.total_minor <= 0) return err('nothing_due');
    const per_fee = fines.payable === 'per_item' && this.opts.partial_payment !== false;
    const options: ChoiceOption[] = per_fee
      ? fines.items.map((item, i) => ({ id: `fee-${i}`, fee_id: item.fee_id, amount_minor: item.amount_minor ?? 0 }))
      : [{ id: ALL, fee_id: null, amount_minor: fines.total_minor }];
    const screen_params: Record<string, string> = found.screen_name === null ? {} : { patron_name: found.screen_name };
    const open: OpenChoice = { patron_id, options, per_fee, fine_count: fines.items.length, screen_params, at: this.now() };
    // Nothing to choose (one fine, or only the total can be paid): the payable quote straight away.
    if (options.length === 1) return this.finalQuote(key, open, [options[0]!.id]);
    this.choices.set(key, open);
    return ok({
      quote_ref: `sip2-choice:${newTxId()}`,
      kind: this.kind,
      amount_minor: fines.total_minor,
      description_key: 'library.fines_choose',
      choose: {
        multiple: true, // several options are single fees: pay one, several or all
        options: fines.items.map((item, i) => ({
          id: `fee-${i}`,
          amount_minor: item.amount_minor ?? 0,
          label_key: 'library.fine_item',
          // the ILS's text may name a title: on screen during this session only
          label_params: { text: item.description, amount: item.amount_minor ?? 0 },
          preselected: true,
        })),
      },
      screen_params,
    });
  }

  private finalQuote(key: string, open: OpenChoice, chosen: readonly string[]): QuoteResult {
    const picked = open.options.filter((o) => chosen.includes(o.id));
    if (picked.length === 0 || picked.length !== new Set(chosen).size || chosen.length !== picked.length) return err('not_found');
    this.choices.delete(key);
    const quote_ref = `sip2:${newTxId()}`;
    const fees = open.per_fee ? picked.map((o) => ({ fee_id: o.fee_id ?? '', amount_minor: o.amount_minor })) : null;
    this.opts.patrons.keep(quote_ref, { patron_id: open.patron_id, fees });
    const amount_minor = picked.reduce((sum, o) => sum + o.amount_minor, 0);
    return ok({
      quote_ref,
      kind: this.kind,
      amount_minor,
      description_key: 'library.fines_total',
      receipt_lines: [{ key: 'library.fines_paid', value: String(open.per_fee ? picked.length : open.fine_count) }],
      screen_params: open.screen_params,
    });
  }

  /**
   * Queued (left unanswered for store and forward) when the ILS may not have
   * heard; refused only on its "N". Several fees go one by one and stop at the
   * first that is not accepted; a retry sends the same messages again and the
   * ILS answers the ones it took as before (BK).
   */
  async fulfil({ tx, quote }: FulfilInput): Promise<FulfilResult> {
    const quote_ref = tx.quote_ref ?? quote.quote_ref;
    const pending = this.opts.patrons.pendingOf(quote_ref);
    if (pending === undefined) return { status: 'refused', reason: 'unknown_quote' };
    this.opts.patrons.markFulfilling(quote_ref);
    const service_ref = `sip2:${tx.tx_id}`;
    const calls =
      pending.fees === null
        ? [{ transaction_id: tx.tx_id, amount_minor: tx.amount_minor, fee_id: undefined }]
        : pending.fees.map((fee, i, all) => ({ transaction_id: all.length === 1 ? tx.tx_id : `${tx.tx_id}/${i + 1}`, amount_minor: fee.amount_minor, fee_id: fee.fee_id }));
    if (calls.reduce((sum, c) => sum + c.amount_minor, 0) !== tx.amount_minor) {
      this.opts.patrons.forget(quote_ref);
      return { status: 'refused', reason: 'amount_mismatch' };
    }
    let accepted = 0;
    for (const call of calls) {
      const outcome = await this.opts.client.feePaid({ patron_id: pending.patron_id, amount_minor: call.amount_minor as Minor, currency: this.opts.currency, transaction_id: call.transaction_id, fee_id: call.fee_id });
      if (outcome.status === 'accepted') {
        accepted++;
        continue;
      }
      if (outcome.status === 'refused') {
        this.opts.patrons.forget(quote_ref);
        return { status: 'refused', reason: accepted === 0 ? 'service_refused' : PARTIALLY_ACCEPTED };
      }
      return { status: 'queued', service_ref };
    }
    this.opts.patrons.forget(quote_ref);
    return { status: 'fulfilled', service_ref };
  }

  /**
   * The ILS never took a refused payment, and a taken one is not undone from the
   * kiosk: when part of several fees was taken, nothing is given back here and
   * the resident is sent to staff.
   */
  async refund(input: RefundInput): Promise<ServiceRefundResult> {
    if (input.reason === PARTIALLY_ACCEPTED) return err('service_unavailable');
    return ok({ undone: false });
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private dropExpired(): void {
    const oldest = this.now() - (this.opts.choice_ttl_ms ?? 15 * 60_000);
    for (const [key, open] of this.choices) if (open.at < oldest) this.choices.delete(key);
  }
}
