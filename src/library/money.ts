import { assertMinor, type Minor } from '../shared/money';

// Money in SIP2 is decimal text ("3.50", "3.5", "3"). It becomes integer minor
// units by string arithmetic only, never through a float, and anything that is
// not an exact non-negative amount of the currency is refused.

const AMOUNT = /^(\d+)(?:\.(\d*))?$/;

export class SipAmountError extends Error {
  override name = 'SipAmountError';
}

/** `parseSipAmount('3.5')` → 350. `digits` is the currency's minor-unit digits. */
export function parseSipAmount(text: string, digits = 2, what = 'amount'): Minor {
  const m = AMOUNT.exec(text.trim());
  if (m === null) throw new SipAmountError(`${what} is not a non-negative decimal amount`);
  const whole = m[1]!;
  const fraction = m[2] ?? '';
  if (/[^0]/.test(fraction.slice(digits))) throw new SipAmountError(`${what} has more decimals than the currency's ${digits}`);
  const minorText = `${whole}${fraction.slice(0, digits).padEnd(digits, '0')}`;
  const value = Number(minorText);
  if (!Number.isSafeInteger(value)) throw new SipAmountError(`${what} is too large`);
  return value as Minor;
}

/** `formatSipAmount(350)` → "3.50": what an ILS expects in BV. */
export function formatSipAmount(amount_minor: Minor, digits = 2): string {
  assertMinor(amount_minor);
  if (amount_minor < 0) throw new SipAmountError('amount must not be negative');
  if (digits === 0) return String(amount_minor);
  const text = String(amount_minor).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
