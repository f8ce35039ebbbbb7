import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseScannedCode } from '../../shared/barcodes';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import { err, ok, type FulfilInput, type FulfilResult, type QuoteInput, type QuoteResult, type RefundInput } from '../machines/contracts';
import type { KioskService, ServiceRefundResult } from './types';

// Parking citations paid at the kiosk. The resident scans the citation's
// barcode (10 digits, the last a Luhn check digit: src/shared/barcodes.ts);
// what is due comes from the citations file the kiosk was given
// (`--citations FILE`), so a citation is quoted with the network down too.
// The ledger carries an opaque quote reference; the citation number is
// printed on the receipt and kept, with the payment's tx id, in a small file
// of its own (0600) for the back office — a citation is paid once.

export const CITATIONS_FORMAT = 'civicard-citations/1';

export interface Citation {
  /** The 10 digits printed under the barcode. */
  readonly number: string;
  readonly amount_minor: number;
  readonly status: 'open' | 'paid';
}

export interface CitationBook {
  readonly currency: string;
  readonly citations: ReadonlyMap<string, Citation>;
}

/** The citations file, or every reason it cannot be used, each naming the field by its path. */
export function parseCitations(json: unknown): { ok: true; book: CitationBook } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const file = (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  if (file.format !== CITATIONS_FORMAT) errors.push(`$.format: must be "${CITATIONS_FORMAT}"`);
  if (typeof file.currency !== 'string' || !/^[A-Z]{3}$/.test(file.currency)) errors.push('$.currency: must be an ISO 4217 code');
  const list = Array.isArray(file.citations) ? (file.citations as unknown[]) : (errors.push('$.citations: must be an array'), []);
  const citations = new Map<string, Citation>();
  list.forEach((item, i) => {
    const c = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const at = `$.citations[${i}]`;
    const scanned = typeof c.number === 'string' ? parseScannedCode(c.number) : null;
    if (scanned?.kind !== 'parking_citation') errors.push(`${at}.number: must be 10 digits ending in their Luhn check digit`);
    if (!Number.isSafeInteger(c.amount_minor) || (c.amount_minor as number) <= 0) errors.push(`${at}.amount_minor: must be a positive integer (minor units)`);
    if (c.status !== 'open' && c.status !== 'paid') errors.push(`${at}.status: must be "open" or "paid"`);
    if (typeof c.number === 'string' && citations.has(c.number)) errors.push(`${at}.number: appears twice`);
    if (typeof c.number === 'string') citations.set(c.number, { number: c.number, amount_minor: c.amount_minor as number, status: c.status as Citation['status'] });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, book: { currency: file.currency as string, citations } };
}

interface CitationLedgerFile {
  format: 'civicard-citation-payments/1';
  /** quote_ref → citation number, for a quote not yet paid. */
  quoted: Record<string, { number: string; at_ms: number }>;
  /** citation number → the tx that paid it. */
  paid: Record<string, { tx_id: string; quote_ref: string; delivered: boolean }>;
}

/** Quotes awaiting payment and the citations this kiosk took payment for (0600). */
export class CitationStore {
  private constructor(
    private readonly path: string | null,
    private readonly data: CitationLedgerFile,
  ) {}

  static open(path: string | null): CitationStore {
    const empty: CitationLedgerFile = { format: 'civicard-citation-payments/1', quoted: {}, paid: {} };
    if (path === null) return new CitationStore(null, empty);
    mkdirSync(dirname(path), { recursive: true });
    const text = readFileIfExists(path);
    if (text === null) return new CitationStore(path, empty);
    let parsed: Partial<CitationLedgerFile> = {};
    try {
      parsed = JSON.parse(text) as Partial<CitationLedgerFile>;
    } catch {
      /* refused below */
    }
    if (parsed.format !== empty.format || typeof parsed.quoted !== 'object' || typeof parsed.paid !== 'object') throw new Error(`citation store ${path} is not what this kiosk writes; move it aside`);
    return new CitationStore(path, parsed as CitationLedgerFile);
  }

  quoted(quote_ref: string, number: string, at_ms: number): void {
    // Quotes never paid go after an hour.
    for (const [ref, q] of Object.entries(this.data.quoted)) if (q.at_ms < at_ms - 3_600_000) delete this.data.quoted[ref];
    this.data.quoted[quote_ref] = { number, at_ms };
    this.persist();
  }

  numberOf(quote_ref: string): string | undefined {
    return this.data.quoted[quote_ref]?.number ?? Object.entries(this.data.paid).find(([, p]) => p.quote_ref === quote_ref)?.[0];
  }

  paidBy(number: string): string | undefined {
    return this.data.paid[number]?.tx_id;
  }

  markPaid(number: string, tx_id: string, quote_ref: string): void {
    this.data.paid[number] = { tx_id, quote_ref, delivered: false };
    delete this.data.quoted[quote_ref];
    this.persist();
  }

  unmarkPaid(number: string): void {
    delete this.data.paid[number];
    this.persist();
  }

  /** For the back-office sync: citations paid here and not yet told. */
  outboundPayments(): { number: string; tx_id: string }[] {
    return Object.entries(this.data.paid)
      .filter(([, p]) => !p.delivered)
      .map(([number, p]) => ({ number, tx_id: p.tx_id }));
  }

  /** The back office has these payments, as they were sent (a citation refunded and paid again meanwhile stays to tell). */
  markDelivered(sent: readonly { number: string; tx_id: string }[]): void {
    for (const { number, tx_id } of sent) if (this.data.paid[number]?.tx_id === tx_id) this.data.paid[number] = { ...this.data.paid[number], delivered: true };
    this.persist();
  }

  private persist(): void {
    if (this.path === null) return;
    replaceFileDurably(this.path, JSON.stringify(this.data), { mode: 0o600, sync_dir: true });
  }
}

export class CitationService implements KioskService {
  readonly kind = 'citation' as const;

  constructor(private readonly opts: { book: CitationBook; store: CitationStore; now?: () => Date }) {}

  async quote(input: QuoteInput): Promise<QuoteResult> {
    const scanned = parseScannedCode(input.reference.trim());
    if (scanned.kind !== 'parking_citation') return err('not_found');
    const citation = this.opts.book.citations.get(scanned.citation_number);
    if (citation === undefined) return err('not_found');
    if (citation.status === 'paid' || this.opts.store.paidBy(citation.number) !== undefined) return err('already_paid');
    const quote_ref = `cit:${randomUUID()}`;
    this.opts.store.quoted(quote_ref, citation.number, (this.opts.now?.() ?? new Date()).getTime());
    return ok({
      quote_ref,
      kind: this.kind,
      amount_minor: citation.amount_minor,
      description_key: 'citation.pay',
      receipt_lines: [{ key: 'citation.number', value: citation.number }],
    });
  }

  /** Marks the citation paid; a citation already paid by another payment is refused (the money goes back). Idempotent by tx_id. */
  async fulfil({ tx, quote }: FulfilInput): Promise<FulfilResult> {
    const quote_ref = tx.quote_ref ?? quote.quote_ref;
    const number = this.opts.store.numberOf(quote_ref);
    const citation = number === undefined ? undefined : this.opts.book.citations.get(number);
    if (citation === undefined) return { status: 'refused', reason: 'unknown_quote' };
    const paid_by = this.opts.store.paidBy(citation.number);
    if (paid_by === tx.tx_id) return { status: 'fulfilled', service_ref: quote_ref };
    if (paid_by !== undefined || citation.status === 'paid') return { status: 'refused', reason: 'already_paid' };
    if (tx.amount_minor !== citation.amount_minor) return { status: 'refused', reason: 'amount_mismatch' };
    this.opts.store.markPaid(citation.number, tx.tx_id, quote_ref);
    return { status: 'fulfilled', service_ref: quote_ref };
  }

  async refund({ tx }: RefundInput): Promise<ServiceRefundResult> {
    const number = tx.quote_ref === null ? undefined : this.opts.store.numberOf(tx.quote_ref);
    if (number === undefined || this.opts.store.paidBy(number) !== tx.tx_id) return ok({ undone: false });
    this.opts.store.unmarkPaid(number);
    return ok({ undone: true });
  }
}
