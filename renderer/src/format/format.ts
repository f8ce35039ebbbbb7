// Money and dates for the screen, through Intl in the screen's language.
// Amounts are integer minor units; they are turned into a decimal string (not
// a float) before formatting, so no amount is ever rounded on screen.
import type { Language } from '../../../src/shared/kiosk-api';
import { LANGUAGE_TAGS } from '../i18n';

export interface DisplayConfig {
  /** ISO 4217 code of the card's currency. */
  currency: string;
  /** IANA zone of the kiosk, for times of day. */
  time_zone: string;
}

export const DEFAULT_DISPLAY: DisplayConfig = { currency: 'USD', time_zone: 'America/New_York' };

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

function currencyFormat(language: Language, currency: string): Intl.NumberFormat {
  return cached(`money|${language}|${currency}`, () => new Intl.NumberFormat(LANGUAGE_TAGS[language], { style: 'currency', currency }));
}

/** "$12.50", "12,50 US$", "US$ 12,50": minor units in the currency's own decimals. */
export function formatMoney(amount_minor: number, language: Language, config: DisplayConfig = DEFAULT_DISPLAY): string {
  if (!Number.isSafeInteger(amount_minor)) throw new TypeError(`amount_minor must be a safe integer, got ${amount_minor}`);
  const f = currencyFormat(language, config.currency);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  const sign = amount_minor < 0 ? '-' : '';
  const abs = String(Math.abs(amount_minor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  // A decimal string is formatted exactly (Intl.NumberFormat v3), never through a float.
  return f.format(`${sign}${decimal}` as unknown as number);
}

/** A calendar date `YYYY-MM-DD` (a card's expiry): the same day in every zone. */
export function formatDate(iso_date: string, language: Language): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso_date);
  if (!m) return iso_date;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return cached(`date|${language}`, () => new Intl.DateTimeFormat(LANGUAGE_TAGS[language], { dateStyle: 'long', timeZone: 'UTC' })).format(at);
}

/** An instant (ISO 8601) as date and time on the kiosk's wall clock. */
export function formatDateTime(iso: string, language: Language, config: DisplayConfig = DEFAULT_DISPLAY): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return cached(`datetime|${language}|${config.time_zone}`, () =>
    new Intl.DateTimeFormat(LANGUAGE_TAGS[language], { dateStyle: 'medium', timeStyle: 'short', timeZone: config.time_zone }),
  ).format(at);
}

/** A time of day only (a parking session's end). */
export function formatTime(iso: string, language: Language, config: DisplayConfig = DEFAULT_DISPLAY): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return cached(`time|${language}|${config.time_zone}`, () => new Intl.DateTimeFormat(LANGUAGE_TAGS[language], { timeStyle: 'short', timeZone: config.time_zone })).format(at);
}

/** An age or a duration in the largest whole unit: "3 hours", "45 minutos". */
export function formatAge(ms: number, language: Language): string {
  const units: [Intl.NumberFormatOptions['unit'] & string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1_000]];
  const [unit, size] = units.find(([, size]) => ms >= size) ?? units[units.length - 1]!;
  return cached(`age|${language}|${unit}`, () => new Intl.NumberFormat(LANGUAGE_TAGS[language], { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 })).format(
    Math.floor(ms / size),
  );
}
