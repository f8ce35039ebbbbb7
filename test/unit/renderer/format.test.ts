// Money and dates go through Intl in the screen's language; amounts are
// formatted from integer minor units without passing through a float.
import { describe, expect, it } from 'vitest';
import { formatAge, formatDate, formatDateTime, formatMoney } from '../../../renderer/src/format/format';

const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('formatMoney', () => {
  it('formats USD by default in each language', () => {
    expect(formatMoney(1_250, 'en')).toBe('$12.50');
    expect(nbsp(formatMoney(1_250, 'es'))).toBe('$12.50'); // es-US writes dollars like en-US
    expect(nbsp(formatMoney(1_250, 'pt'))).toBe('US$ 12,50');
  });

  it('takes the currency from the config, with its own number of decimals', () => {
    expect(nbsp(formatMoney(1_250, 'pt', { currency: 'BRL', time_zone: 'UTC' }))).toBe('R$ 12,50');
    expect(formatMoney(1_250, 'en', { currency: 'JPY', time_zone: 'UTC' })).toBe('¥1,250');
  });

  it('keeps every cent of large and negative amounts (no float on the way)', () => {
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'en')).toBe('$90,071,992,547,409.91');
    expect(formatMoney(-5, 'en')).toBe('-$0.05');
    expect(formatMoney(0, 'en')).toBe('$0.00');
  });

  it('refuses a non-integer amount', () => {
    expect(() => formatMoney(12.5, 'en')).toThrow(/safe integer/);
  });
});

describe('dates', () => {
  it('shows a card expiry as the same calendar day in every language', () => {
    expect(formatDate('2027-03-01', 'en')).toBe('March 1, 2027');
    expect(formatDate('2027-03-01', 'es')).toBe('1 de marzo de 2027');
    expect(formatDate('2027-03-01', 'pt')).toBe('1 de março de 2027');
  });

  it('shows an instant on the kiosk wall clock', () => {
    expect(nbsp(formatDateTime('2026-12-02T15:30:00Z', 'en', { currency: 'USD', time_zone: 'America/New_York' }))).toBe('Dec 2, 2026, 10:30 AM');
  });

  it('shows ages in the largest whole unit', () => {
    expect(formatAge(3 * 3_600_000 + 5, 'en')).toBe('3 hours');
    expect(formatAge(45 * 60_000, 'es')).toBe('45 minutos');
    expect(formatAge(2 * 86_400_000, 'pt')).toBe('2 dias');
  });
});
