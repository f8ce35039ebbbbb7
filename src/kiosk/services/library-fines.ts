import { mkdirSync } from 'node:fs';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import { dirname } from 'node:path';
import type { Sip2Client } from '../../library/client';
import { newTxId } from '../../shared/ids';
import type { Minor } from '../../shared/money';
import { err, ok, type FulfilInput, type FulfilResult, type QuoteInput, type QuoteResult } from '../machines/contracts';
import type { KioskService, ServiceRefundResult } from './types';

// Library fines over SIP2, as a kiosk service. The resident's library card
// number (the SIP2 patron id) is needed again when the fine is paid — after a
// restart too, when the ILS was down — but it never enters the hash-chained
// ledger, which is kept for good: the ledger and the receipt carry an opaque
// quote reference, and the patron id waits in a small file of its own (0600),
// removed as soon as the ILS has answered (DESIGN §8: what is kept apart is
// purged). Fee Paid carries our transaction id as BK, the same on every retry.

/** quote_ref → patron id, kept apart from the ledger, only until the ILS has answered. */
export class PatronStore {
  private readonly entries: Map<string, string>;

  private constructor(
    private readonly path: string | null,
    entries: Record<string, string>,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /** A store in a file (survives a restart), or in memory (`null`). */
  static open(path: string | null): PatronStore {
    if (path === null) return new PatronStore(null, {});
    mkdirSync(dirname(path), { recursive: true });
    const text = readFileIfExists(path);
    const parsed = text === null ? {} : (JSON.parse(text) as unknown);
    if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((v) => typeof v !== 'string')) {
      throw new Error(`patron store ${path} is not what this kiosk writes; move it aside`);
    }
    return new PatronStore(path, parsed as Record<string, string>);
  }

  keep(quote_ref: string, patron_id: string): void {
    this.entries.set(quote_ref, patron_id);
    this.persist();
  }

  patronOf(quote_ref: string): string | undefined {
    return this.entries.get(quote_ref);
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
}

/**
 * Quote: the reference is the library card number; the quote is the patron's
 * whole outstanding total. Fulfil: Fee Paid of that total with BK = tx id.
 */
export class LibraryFineService implements KioskService {
  readonly kind = 'library_fine' as const;

  constructor(private readonly opts: LibraryFinesOptions) {}

  async quote(input: QuoteInput): Promise<QuoteResult> {
    const patron_id = input.reference.trim();
    if (!/^[A-Za-z0-9-]{1,32}$/.test(patron_id)) return err('not_found');
    let found;
    try {
      found = await this.opts.client.patronFines(patron_id);
    } catch {
      return err('service_unavailable');
    }
    if (found.status !== 'found') return err('not_found');
    if (found.fines.currency !== this.opts.currency) return err('service_unavailable');
    if (found.fines.total_minor <= 0) return err('nothing_due');
    const quote_ref = `sip2:${newTxId()}`;
    this.opts.patrons.keep(quote_ref, patron_id);
    return ok({ quote_ref, kind: this.kind, amount_minor: found.fines.total_minor, description_key: 'library.fines_total' });
  }

  /** Queued (left unanswered for store and forward) when the ILS may not have heard; refused only on its "N". */
  async fulfil({ tx, quote }: FulfilInput): Promise<FulfilResult> {
    const quote_ref = tx.quote_ref ?? quote.quote_ref;
    const patron_id = this.opts.patrons.patronOf(quote_ref);
    if (patron_id === undefined) return { status: 'refused', reason: 'unknown_quote' };
    const outcome = await this.opts.client.feePaid({ patron_id, amount_minor: tx.amount_minor as Minor, currency: this.opts.currency, transaction_id: tx.tx_id });
    if (outcome.status === 'accepted' || outcome.status === 'refused') this.opts.patrons.forget(quote_ref);
    if (outcome.status === 'accepted') return { status: 'fulfilled', service_ref: `sip2:${tx.tx_id}` };
    if (outcome.status === 'refused') return { status: 'refused', reason: 'service_refused' };
    return { status: 'queued', service_ref: `sip2:${tx.tx_id}` };
  }

  /** The ILS never took a refused payment, and a taken one is not undone from the kiosk. */
  async refund(): Promise<ServiceRefundResult> {
    return ok({ undone: false });
  }
}
