import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCivicard } from '../support/civicard-cli';

const TARIFFS = join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json');

async function civicard(...args: string[]) {
  const r = await runCivicard(args);
  return { code: r.code, out: r.code === 0 || r.stdout !== '' ? JSON.parse(r.stdout) : r.stderr };
}

const quote = (...args: string[]) => civicard('parking', 'quote', '--tariffs', TARIFFS, ...args);

describe('civicard parking quote', () => {
  it('prints the amount, the end with its offset and the breakdown, and exits 0 (across the spring DST change)', async () => {
    const { code, out } = await quote('--zone', '101', '--start', '2025-03-09T06:30:00Z', '--minutes', '120');
    expect(code).toBe(0);
    expect(out).toMatchObject({ amount_minor: 50, currency: 'USD', end: '2025-03-09T03:30:00-05:00' });
    expect(out.breakdown.map((l: { minutes: number; amount_minor: number }) => [l.minutes, l.amount_minor])).toEqual([[90, 0], [30, 50]]);
  });

  it('finds the zone by its curb_zone_id too', async () => {
    const { code, out } = await quote('--zone', '3f1b7c2e-8a4d-4e59-9b61-2d7e5a0c1f01', '--start', '2025-07-11T10:00:00-05:00', '--minutes', '70');
    expect(code).toBe(0);
    expect(out.amount_minor).toBe(450);
  });

  it.each([
    ['beyond max stay', ['--start', '2025-07-11T10:00:00-05:00', '--minutes', '121'], 'beyond_max_stay'],
    ['inside no-return', ['--start', '2025-07-11T10:00:00-05:00', '--minutes', '30', '--last-session-end', '2025-07-11T09:30:00-05:00'], 'inside_no_return'],
    ['no parking at that time', ['--start', '2025-07-08T03:15:00-05:00', '--minutes', '30'], 'no_parking'],
  ])('refuses a stay %s with its reason and exits 1', async (_name, args, reason) => {
    const { code, out } = await quote('--zone', '101', ...args);
    expect(code).toBe(1);
    expect(out).toMatchObject({ refused: reason });
    expect(out.detail).toEqual(expect.any(String));
  });

  it('exits 2 for a start without an offset', async () => {
    const { code, out } = await quote('--zone', '101', '--start', '2025-07-11T10:00', '--minutes', '30');
    expect(code).toBe(2);
    expect(out).toMatchObject({ refused: 'invalid_request' });
  });

  it('refuses a tariff file with a price-changing field it does not implement, naming the field, and exits 2', async () => {
    const json = JSON.parse(readFileSync(TARIFFS, 'utf8'));
    json.data.policies[4].rules[0].rate[0].maximum_fee = 2000;
    const dir = mkdtempSync(join(tmpdir(), 'tariffs-'));
    const file = join(dir, 'with-cap.json');
    writeFileSync(file, JSON.stringify(json));
    const { code, out } = await civicard('parking', 'quote', '--tariffs', file, '--zone', '101', '--start', '2025-07-11T10:00:00-05:00', '--minutes', '30');
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(out.refused).toBe('invalid_tariffs');
    expect(out.errors).toEqual([{ path: '$.data.policies[4].rules[0].rate[0].maximum_fee', message: expect.stringMatching(/^not implemented/) }]);
  });
});
