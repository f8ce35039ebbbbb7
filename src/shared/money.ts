// Money is an integer number of minor units (cents), never a float (tigerbeetle
// data modelling): `Minor` is a branded safe integer, so a plain number has to
// pass `assertMinor` (or `minor()`) before it can be used where money is
// expected. Pure code: no Node built-ins, the renderer may import it.

declare const MINOR: unique symbol;

/** A safe integer number of minor units of some currency. May be negative (a difference). */
export type Minor = number & { readonly [MINOR]: true };

export class MinorUnitsError extends TypeError {
  override name = 'MinorUnitsError';
}

export function isMinor(value: unknown): value is Minor {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function assertMinor(value: unknown, what = 'amount_minor'): asserts value is Minor {
  if (!isMinor(value)) throw new MinorUnitsError(`${what} must be a safe integer of minor units, got ${String(value)}`);
}

/** Brands a number as minor units, or throws. */
export function minor(value: number, what?: string): Minor {
  assertMinor(value, what);
  return value;
}

/** Sum that refuses to leave the safe-integer range instead of silently rounding. */
export function sumMinor(values: Iterable<Minor>): Minor {
  let total = 0;
  for (const v of values) {
    total += v;
    assertMinor(total, 'sum');
  }
  return total as Minor;
}

export const MONEY_LANGUAGES = ['es', 'en', 'pt'] as const;
export type MoneyLanguage = (typeof MONEY_LANGUAGES)[number];
/** `es`, `en`, `pt`, or one of them with a region (`es-US`, `pt-BR`). */
export type MoneyLocale = MoneyLanguage | `${MoneyLanguage}-${string}`;

const LOCALE = /^(es|en|pt)(-[A-Za-z0-9]{2,8})*$/;
const CURRENCY = /^[A-Z]{3}$/;
const FORMATS_MAX = 64;
const formats = new Map<string, Intl.NumberFormat>();

function currencyFormat(locale: MoneyLocale, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let nf = formats.get(key);
  if (nf === undefined) {
    nf = new Intl.NumberFormat(locale, { style: 'currency', currency });
    if (formats.size >= FORMATS_MAX) formats.clear(); // bounded: a kiosk uses one or two
    formats.set(key, nf);
  }
  return nf;
}

/** How many minor units the currency has after the decimal point (USD 2, JPY 0, BHD 3). */
export function currencyDigits(currency: string): number {
  return currencyFormat('en', currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * `formatMinor(123456, 'es', 'USD')` → `1234,56 US$`. Exact for every safe
 * integer: the amount is turned into a decimal string by integer arithmetic
 * and handed to Intl as a string, never divided as a float.
 */
export function formatMinor(amount_minor: Minor, locale: MoneyLocale, currency: string): string {
  assertMinor(amount_minor);
  if (!LOCALE.test(locale)) throw new RangeError(`formatMinor supports es, en and pt, not ${locale}`);
  if (!CURRENCY.test(currency)) throw new RangeError(`currency must be an ISO 4217 code, not ${currency}`);
  const nf = currencyFormat(locale, currency);
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  const magnitude = Math.abs(amount_minor).toString().padStart(digits + 1, '0');
  const whole = magnitude.slice(0, magnitude.length - digits);
  const decimal = digits === 0 ? whole : `${whole}.${magnitude.slice(magnitude.length - digits)}`;
  return nf.format(`${amount_minor < 0 ? '-' : ''}${decimal}` as Intl.StringNumericLiteral);
}
