import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertMinor, currencyDigits, formatMinor, isMinor, minor, MinorUnitsError, sumMinor, type Minor } from '../../../src/shared/money';

const m = (n: number) => n as Minor;
/** Intl uses no-break spaces; compare with plain ones. */
const fmt = (...args: Parameters<typeof formatMinor>) => formatMinor(...args).replace(/\s/g, ' ');

describe('money: integer minor units', () => {
  it('accepts safe integers only', () => {
    expect(isMinor(0)).toBe(true);
    expect(isMinor(-250)).toBe(true);
    expect(isMinor(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const bad of [1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, '350', null, undefined, 10n]) expect(isMinor(bad)).toBe(false);
    expect(() => assertMinor(3.5, 'fee_minor')).toThrow(MinorUnitsError);
    expect(() => assertMinor(3.5, 'fee_minor')).toThrow(/fee_minor must be a safe integer/);
    expect(minor(350)).toBe(350);
  });

  it('sums without leaving the safe-integer range', () => {
    expect(sumMinor([m(1), m(2), m(-4)])).toBe(-1);
    expect(() => sumMinor([m(Number.MAX_SAFE_INTEGER), m(1)])).toThrow(MinorUnitsError);
  });

  it('formats in Spanish, English and Portuguese', () => {
    expect(fmt(m(123456), 'en', 'USD')).toBe('$1,234.56');
    expect(fmt(m(123456), 'es', 'USD')).toBe('1234,56 US$');
    expect(fmt(m(123456), 'es-US', 'USD')).toBe('$1,234.56');
    expect(fmt(m(123456), 'pt', 'BRL')).toBe('R$ 1.234,56');
    expect(fmt(m(5), 'en', 'USD')).toBe('$0.05');
    expect(fmt(m(-250), 'en', 'USD')).toBe('-$2.50');
    expect(fmt(m(0), 'pt', 'USD')).toBe('US$ 0,00');
  });

  it('uses the currency’s own number of minor digits', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
    expect(fmt(m(1234), 'en', 'JPY')).toBe('¥1,234');
    expect(fmt(m(1234), 'en', 'BHD')).toBe('BHD 1.234');
  });

  it('is exact for every safe integer (no float division)', () => {
    expect(fmt(m(Number.MAX_SAFE_INTEGER), 'en', 'USD')).toBe('$90,071,992,547,409.91');
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const digits = formatMinor(m(n), 'en', 'USD').replace(/[^0-9]/g, '');
        expect(digits).toBe(Math.abs(n).toString().padStart(3, '0'));
      }),
    );
  });

  it('refuses other languages, bad currency codes and non-integers', () => {
    expect(() => formatMinor(m(1), 'fr' as never, 'EUR')).toThrow(/es, en and pt/);
    expect(() => formatMinor(m(1), 'en', 'usd')).toThrow(/ISO 4217/);
    expect(() => formatMinor(1.5 as Minor, 'en', 'USD')).toThrow(MinorUnitsError);
  });
});
