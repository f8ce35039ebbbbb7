import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storyMoney } from '../../../src/kiosk/demo/day';
import { formatMoney } from '../../../src/kiosk/receipt';

// Receipts and the demo's story write money through the one exact integer
// path (formatMinor in src/shared/money.ts), never by dividing minor units.

const AMOUNTS = [1, 5, 10, 99, 100, 1005, 123_456_789, -1, -1005, 9_007_199_254_740_899, -9_007_199_254_740_991];

describe('receipt money, exact in every receipt language (USD kiosk in the US)', () => {
  const expected: Record<'en' | 'es' | 'pt', string[]> = {
    en: ['$0.01', '$0.05', '$0.10', '$0.99', '$1.00', '$10.05', '$1,234,567.89', '-$0.01', '-$10.05', '$90,071,992,547,408.99', '-$90,071,992,547,409.91'],
    es: ['$0.01', '$0.05', '$0.10', '$0.99', '$1.00', '$10.05', '$1,234,567.89', '-$0.01', '-$10.05', '$90,071,992,547,408.99', '-$90,071,992,547,409.91'],
    pt: ['US$ 0,01', 'US$ 0,05', 'US$ 0,10', 'US$ 0,99', 'US$ 1,00', 'US$ 10,05', 'US$ 1.234.567,89', '-US$ 0,01', '-US$ 10,05', 'US$ 90.071.992.547.408,99', '-US$ 90.071.992.547.409,91'],
  };
  for (const language of ['en', 'es', 'pt'] as const) {
    it(`${language}: ${AMOUNTS.join(', ')} minor units`, () => {
      expect(AMOUNTS.map((a) => formatMoney(a, 'USD', language, 'US'))).toEqual(expected[language]);
    });
  }

  it('prints plain spaces only (a printer code page has no no-break space)', () => {
    expect(formatMoney(123_456, 'EUR', 'pt', 'PT')).toBe('1234,56 €');
    expect(formatMoney(123_456, 'USD', 'pt', 'US')).not.toMatch(/[^\S ]/u);
  });

  it('refuses an amount that is not whole minor units', () => {
    expect(() => formatMoney(10.5, 'USD', 'en', 'US')).toThrow(/safe integer/);
  });
});

describe('money in the demo story', () => {
  it('tells every amount to the cent, even past what a float divided by 100 can hold', () => {
    expect(AMOUNTS.map(storyMoney)).toEqual(['$0.01', '$0.05', '$0.10', '$0.99', '$1.00', '$10.05', '$1,234,567.89', '-$0.01', '-$10.05', '$90,071,992,547,408.99', '-$90,071,992,547,409.91']);
  });

  it('refuses an amount that is not whole minor units', () => {
    expect(() => storyMoney(0.5)).toThrow(/safe integer/);
  });
});

describe('no money formatted outside the integer path', () => {
  const FILES = ['src/kiosk/receipt/build.ts', 'src/kiosk/receipt/format.ts', 'src/kiosk/receipt/print.ts', 'src/kiosk/receipt/labels.ts', 'src/kiosk/demo/day.ts', 'src/cli/commands/card-demo.ts'];
  it.each(FILES)('%s divides no amount and builds no number format of its own', (file) => {
    const code = readFileSync(join(process.cwd(), file), 'utf8');
    expect(code).not.toMatch(/\/\s*100\b|\btoFixed\(|\bIntl\.NumberFormat\b/);
  });
});
