// Money and time as a receipt prints them: from integers and instants, in the
// kiosk's locale and time zone. Output uses plain spaces only (Intl's
// no-break spaces have no place in a printer code page).

import { formatMinor, minor } from '../../shared/money';
import type { ReceiptLanguage } from './model';

const plainSpaces = (s: string) => s.replace(/\p{Zs}/gu, ' ');

/**
 * Minor units as the locale writes the currency: 1250 USD in es-US is "$12.50".
 * Exact for every safe integer: it is formatMinor's integer path, with plain spaces.
 */
export function formatMoney(amount_minor: number, currency: string, language: ReceiptLanguage, country: string): string {
  return plainSpaces(formatMinor(minor(amount_minor), `${language}-${country}`, currency));
}

/**
 * Local date and time at the kiosk: "14/03/2025 14:05" for es and pt,
 * "03/14/2025 2:05 PM" for en. Built from numeric parts so it does not change
 * with the ICU version.
 */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per time zone: building one costs more than formatting with it. */
function dateTimeFormatFor(time_zone: string): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(time_zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: time_zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    dateTimeFormats.set(time_zone, format);
  }
  return format;
}

export function formatDateTime(instant: string, time_zone: string, language: ReceiptLanguage): string {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an instant: ${instant}`);
  const parts = dateTimeFormatFor(time_zone).formatToParts(date);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const [y, mo, d, h, mi] = [get('year'), get('month'), get('day'), get('hour'), get('minute')];
  if (language !== 'en') return `${d}/${mo}/${y} ${h}:${mi}`;
  const h24 = Number(h);
  return `${mo}/${d}/${y} ${h24 % 12 === 0 ? 12 : h24 % 12}:${mi} ${h24 < 12 ? 'AM' : 'PM'}`;
}
