import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSipAmount, parseSipAmount } from '../../../src/library/money';
import { customProfile, ILS_PROFILES, interpretFines, parseFineItem } from '../../../src/library/profiles';
import type { PatronFinesView } from '../../../src/library/responses';
import type { Minor } from '../../../src/shared/money';

describe('SIP2 money text ↔ minor units, exact', () => {
  it('reads "3.5", "03.50", "3.500" and " 3.50 " as 350, "3" as 300', () => {
    for (const text of ['3.5', '03.50', '3.500', ' 3.50 ']) expect(parseSipAmount(text)).toBe(350);
    expect(parseSipAmount('3')).toBe(300);
    expect(parseSipAmount('3.')).toBe(300);
    expect(parseSipAmount('0.01')).toBe(1);
    expect(parseSipAmount('1234', 0)).toBe(1234);
  });

  it('refuses "3.505", "-1", "abc", "", "1,50", "1e3" and amounts past the safe-integer range, naming the field only', () => {
    for (const text of ['3.505', '-1', 'abc', '', '1,50', '1e3', '.5', '+1', 'NaN', '99999999999999999.00']) {
      expect(() => parseSipAmount(text, 2, 'fee amount (BV)'), text).toThrow(/^fee amount \(BV\) /);
    }
  });

  it('writes minor units as the decimal text an ILS expects', () => {
    expect(formatSipAmount(350 as Minor)).toBe('3.50');
    expect(formatSipAmount(5 as Minor)).toBe('0.05');
    expect(formatSipAmount(0 as Minor)).toBe('0.00');
    expect(formatSipAmount(1234 as Minor, 0)).toBe('1234');
    expect(() => formatSipAmount(-1 as Minor)).toThrow();
    expect(() => formatSipAmount(1.5 as Minor)).toThrow();
  });

  it('round-trips every non-negative safe amount in 0, 2 and 3 digit currencies', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom(0, 2, 3), (n, digits) => {
        expect(parseSipAmount(formatSipAmount(n as Minor, digits), digits)).toBe(n);
      }),
    );
  });
});

const view = (fine_items: string[], fee_amount: string | null = null): PatronFinesView => ({
  valid_patron: true,
  valid_patron_password: null,
  personal_name: null,
  currency_type: 'USD',
  fee_amount,
  fine_items,
  fine_items_count: fine_items.length,
});

describe('ILS profiles read fine items the way each ILS writes them', () => {
  it('Koha: "description amount"; no fee id, so the kiosk pays the total', () => {
    const fines = interpretFines(view(['Overdue fine 3.50', 'Lost card replacement 1.75', ' 2.00'], '7.25'), ILS_PROFILES.koha, 'USD');
    expect(fines).toEqual({
      currency: 'USD',
      total_minor: 725,
      payable: 'total_only',
      items: [
        { fee_id: null, amount_minor: 350, description: 'Overdue fine' },
        { fee_id: null, amount_minor: 175, description: 'Lost card replacement' },
        { fee_id: null, amount_minor: 200, description: '' },
      ],
    });
  });

  it('Evergreen eg_legacy: "amount type title / author"', () => {
    const fines = interpretFines(view(['3.50 Overdue materials Dune / Herbert, Frank', '0.25 Misc. photocopies'], '3.75'), ILS_PROFILES.evergreen, 'USD');
    expect(fines.items).toEqual([
      { fee_id: null, amount_minor: 350, description: 'Overdue materials Dune / Herbert, Frank' },
      { fee_id: null, amount_minor: 25, description: 'Misc. photocopies' },
    ]);
    expect(fines.payable).toBe('total_only');
  });

  it('Evergreen 3m: "id $amount \\"TYPE\\" title" carries a fee id, so each item can be paid', () => {
    const fines = interpretFines(view(['1041 $3.50 "FINE" Dune', '1042 $1.00 "FEE" '], '4.50'), ILS_PROFILES['evergreen-3m'], 'USD');
    expect(fines.items).toEqual([
      { fee_id: '1041', amount_minor: 350, description: 'FINE Dune' },
      { fee_id: '1042', amount_minor: 100, description: 'FEE' },
    ]);
    expect(fines.payable).toBe('per_item');
  });

  it('falls back to the total when the items do not add up to BV (a page of items, a credit)', () => {
    expect(interpretFines(view(['1041 $3.50 "FINE" Dune'], '4.50'), ILS_PROFILES['evergreen-3m'], 'USD').payable).toBe('total_only');
  });

  it('keeps an item whose text the profile cannot read, without an amount, and pays the total', () => {
    const fines = interpretFines(view(['something odd', 'Overdue 1.5.0'], '2.00'), ILS_PROFILES.koha, 'USD');
    expect(fines.items[0]).toEqual({ fee_id: null, amount_minor: null, description: 'something odd' });
    expect(fines.total_minor).toBe(200);
    expect(fines.payable).toBe('total_only');
  });

  it('sums the items when BV is absent, and refuses when neither can be read', () => {
    expect(interpretFines(view(['A 1.00', 'B 2.00']), ILS_PROFILES.koha, 'USD').total_minor).toBe(300);
    expect(interpretFines(view([]), ILS_PROFILES.koha, 'USD').total_minor).toBe(0);
    expect(() => interpretFines(view(['???']), ILS_PROFILES.koha, 'USD')).toThrow(/no fee amount \(BV\)/);
    expect(() => interpretFines(view([], '-1.00'), ILS_PROFILES.koha, 'USD')).toThrow(/^fee amount \(BV\) is not a non-negative decimal amount$/);
  });

  it('a site profile: Koha with av_field_template "[% accountline.accountlines_id %]|…" is a pattern away', () => {
    const koha_ids = customProfile('koha-ids', String.raw`^(?<fee_id>\d+) (?<description>.*) (?<amount>\d+\.\d{2})$`);
    expect(parseFineItem('88 Overdue fine 3.50', koha_ids, 2)).toEqual({ fee_id: '88', amount_minor: 350, description: 'Overdue fine' });
    expect(() => customProfile('bad', '^(?<id>\\d+)$')).toThrow(/amount/);
  });

  it('uses the currency the ILS names (BH) for its digits', () => {
    expect(interpretFines({ ...view(['Late 350']), currency_type: 'JPY', fee_amount: '350' }, ILS_PROFILES.koha, 'USD')).toMatchObject({ currency: 'JPY', total_minor: 350 });
  });
});
