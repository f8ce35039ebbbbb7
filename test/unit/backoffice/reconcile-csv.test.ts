import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../../src/backoffice/reconcile/csv';
import { businessDay } from '../../../src/backoffice/reconcile/day';

describe('reconciliation CSV', () => {
  it('quotes commas, quotes, line breaks and edge spaces; doubles quotes; CRLF rows', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
    expect(csvField(-200)).toBe('-200');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  it('never hands a spreadsheet a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});

describe('business day', () => {
  it('is local midnight to local midnight, 23 or 25 hours on daylight-saving days', () => {
    expect(businessDay('2026-03-02', 'America/Chicago')).toMatchObject({ start_ms: Date.parse('2026-03-02T06:00:00Z'), end_ms: Date.parse('2026-03-03T06:00:00Z') });
    const spring = businessDay('2026-03-08', 'America/Chicago');
    expect((spring.end_ms - spring.start_ms) / 3_600_000).toBe(23);
    const fall = businessDay('2026-11-01', 'America/Chicago');
    expect((fall.end_ms - fall.start_ms) / 3_600_000).toBe(25);
    expect(businessDay('2026-07-01', 'UTC').start_ms).toBe(Date.parse('2026-07-01T00:00:00Z'));
  });

  it('refuses dates that are not days and zones that do not exist', () => {
    expect(() => businessDay('2026-02-30', 'UTC')).toThrow(/real day/);
    expect(() => businessDay('02/03/2026', 'UTC')).toThrow(/YYYY-MM-DD/);
    expect(() => businessDay('2026-03-02', 'Nowhere/City')).toThrow(/unknown time zone/);
  });
});
