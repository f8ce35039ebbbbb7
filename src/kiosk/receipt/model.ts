// What a receipt may say, and nothing more (docs/architecture.md, Privacy: no names, addresses,
// birth dates, document data, photos or immigration status on receipts).
//
// ReceiptModel is the whole input of the receipt builder. It has no field that
// could carry personal data, and RECEIPT_MODEL_FIELDS lists its fields exactly
// (the compiler checks the list against the type; a test checks the list
// against words like "name" and "address"). The card appears only as a masked
// serial, "**** 4821". Values are checked before anything is printed.

import type { ReceiptOutcome, TxKind } from '../machines/contracts';

export type ReceiptLanguage = 'es' | 'en' | 'pt';

/**
 * What a service may add to its receipt (contracts.ts ReceiptLine), each key with
 * the only shape its value may take: a count, a zone, the tail of a plate —
 * never a name, a card number or a whole plate.
 */
export const RECEIPT_LINE_VALUES = {
  'library.fines_paid': /^\d{1,3}$/,
  'parking.zone': /^[A-Za-z0-9][A-Za-z0-9._-]{0,11}$/,
  'parking.space': /^[A-Za-z0-9][A-Za-z0-9._-]{0,11}$/,
  /** An ISO 8601 instant, printed as local time at the kiosk. */
  'parking.expires_at': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
  /** At most the last four characters of a plate. */
  'parking.plate_tail': /^[A-Za-z0-9]{1,4}$/,
  'citation.number': /^[A-Za-z0-9][A-Za-z0-9-]{0,19}$/,
} as const satisfies Record<string, RegExp>;
export type ReceiptLineKey = keyof typeof RECEIPT_LINE_VALUES;
export const RECEIPT_LINE_KEYS = Object.keys(RECEIPT_LINE_VALUES) as ReceiptLineKey[];
export const MAX_RECEIPT_LINES = 8;

export interface ReceiptModelLine {
  readonly key: ReceiptLineKey;
  readonly value: string;
}

/** Whether a service's line may be printed as it is. */
export function isPrintableLine(line: { key: string; value: string }): line is ReceiptModelLine {
  if (!Object.hasOwn(RECEIPT_LINE_VALUES, line.key) || typeof line.value !== 'string') return false;
  if (!RECEIPT_LINE_VALUES[line.key as ReceiptLineKey].test(line.value)) return false;
  return line.key !== 'parking.expires_at' || !Number.isNaN(Date.parse(line.value));
}
export const RECEIPT_LANGUAGES: readonly ReceiptLanguage[] = ['es', 'en', 'pt'];

export interface ReceiptModel {
  readonly language: ReceiptLanguage;
  /** The kiosk's id, as on its label (e.g. "K-0042"). */
  readonly kiosk_id: string;
  /** Where the kiosk stands, from its configuration (e.g. "Biblioteca Central"). */
  readonly location_label: string;
  /** When the transaction happened: an ISO 8601 instant ("2025-03-14T18:05:00Z"). */
  readonly occurred_at: string;
  /** The kiosk's IANA time zone; the receipt shows local time there. */
  readonly time_zone: string;
  /** ISO 3166 country of the kiosk, for number formats (e.g. "US"). */
  readonly country: string;
  /** ISO 4217 currency (e.g. "USD"). */
  readonly currency: string;
  readonly service: TxKind;
  readonly outcome: ReceiptOutcome;
  readonly amount_minor: number;
  /** The card's balance afterwards, when the card proved it; null otherwise. */
  readonly balance_after_minor: number | null;
  /** Four asterisks, a space and the last four digits: "**** 4821". */
  readonly masked_serial: string;
  readonly tx_id: string;
  /** A copy printed again on request. */
  readonly duplicate: boolean;
  /** The service's own lines (fines paid, parking zone and expiry…), keys and values from RECEIPT_LINE_VALUES only. */
  readonly lines?: readonly ReceiptModelLine[];
}

/** Every field of ReceiptModel: the compiler fails when the two disagree. */
export const RECEIPT_MODEL_FIELDS = [
  'language',
  'kiosk_id',
  'location_label',
  'occurred_at',
  'time_zone',
  'country',
  'currency',
  'service',
  'outcome',
  'amount_minor',
  'balance_after_minor',
  'masked_serial',
  'tx_id',
  'duplicate',
  'lines',
] as const satisfies readonly (keyof ReceiptModel)[];

type Listed = (typeof RECEIPT_MODEL_FIELDS)[number];
// Fails to compile when ReceiptModel gains a field the list does not name.
const _everyFieldListed: Record<Exclude<keyof ReceiptModel, Listed>, never> = {};
void _everyFieldListed;

export const MASKED_SERIAL = /^\*{4} \d{4}$/;
export const KIOSK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
export const TX_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export class ReceiptModelError extends Error {
  constructor(field: keyof ReceiptModel, why: string) {
    super(`receipt ${field} ${why}`);
    this.name = 'ReceiptModelError';
  }
}

/** Throws ReceiptModelError on the first value a receipt must not print. */
const knownTimeZones = new Set<string>();

/** Asking Intl costs more than the rest of the check: a kiosk prints in one zone, so remember it. */
function isTimeZone(time_zone: string): boolean {
  if (knownTimeZones.has(time_zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: time_zone });
  } catch {
    return false;
  }
  knownTimeZones.add(time_zone);
  return true;
}

export function checkReceiptModel(m: ReceiptModel): void {
  const fail = (field: keyof ReceiptModel, why: string): never => {
    throw new ReceiptModelError(field, why);
  };
  if (!RECEIPT_LANGUAGES.includes(m.language)) fail('language', `must be one of ${RECEIPT_LANGUAGES.join(', ')}`);
  if (!KIOSK_ID.test(m.kiosk_id)) fail('kiosk_id', 'must be 1-32 letters, digits, ".", "_" or "-"');
  if (m.location_label.trim() === '' || m.location_label.length > 40 || /\p{Cc}/u.test(m.location_label)) {
    fail('location_label', 'must be 1-40 printable characters');
  }
  if (!ISO_INSTANT.test(m.occurred_at) || Number.isNaN(Date.parse(m.occurred_at))) fail('occurred_at', 'must be an ISO 8601 instant with a zone');
  if (!isTimeZone(m.time_zone)) fail('time_zone', `"${m.time_zone}" is not an IANA time zone`);
  if (!/^[A-Z]{2}$/.test(m.country)) fail('country', 'must be an ISO 3166 alpha-2 code');
  if (!/^[A-Z]{3}$/.test(m.currency)) fail('currency', 'must be an ISO 4217 code');
  if (!Number.isSafeInteger(m.amount_minor) || m.amount_minor < 0) fail('amount_minor', 'must be a whole number of minor units, not negative');
  if (m.balance_after_minor !== null && (!Number.isSafeInteger(m.balance_after_minor) || m.balance_after_minor < 0)) {
    fail('balance_after_minor', 'must be a whole number of minor units, not negative, or null');
  }
  if (!MASKED_SERIAL.test(m.masked_serial)) fail('masked_serial', 'must be "**** " and the last four digits');
  if (!TX_ID.test(m.tx_id)) fail('tx_id', 'must be 1-64 letters, digits, ".", "_", ":" or "-"');
  const lines = m.lines ?? [];
  if (!Array.isArray(lines) || lines.length > MAX_RECEIPT_LINES) fail('lines', `must be a list of at most ${MAX_RECEIPT_LINES}`);
  // the key alone is named: a refused value may be exactly what must not be printed or logged
  for (const line of lines) if (!isPrintableLine(line)) fail('lines', `hold a line "${String(line.key).slice(0, 40)}" that is not on the list or whose value has another shape`);
}
