import { assertMinor } from '../shared/money';
import type { Rate } from './types';

// The price of a stretch of minutes under one rate band, in integer minor
// units. CDS: `increment_duration` is the smallest number of rate units one can
// pay for (the time is rounded up to a multiple of it), `increment_amount`
// rounds the amount up to a multiple of it; a fraction of a minor unit is
// rounded up too. No floats: the product is taken in BigInt.

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

export function billedMinutes(rate: Rate, minutes: number): number {
  if (rate.increment_minutes === null) return minutes;
  return Math.ceil(minutes / rate.increment_minutes) * rate.increment_minutes;
}

export function priceOf(rate: Rate, minutes: number): number {
  const billed_seconds = BigInt(billedMinutes(rate, minutes)) * 60n;
  let amount = ceilDiv(billed_seconds * BigInt(rate.rate_minor), BigInt(rate.unit_seconds));
  if (rate.increment_amount_minor !== null) amount = ceilDiv(amount, BigInt(rate.increment_amount_minor)) * BigInt(rate.increment_amount_minor);
  const amount_minor = Number(amount);
  assertMinor(amount_minor, 'parking amount_minor');
  return amount_minor;
}
