import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinAttempts } from '../../../src/kiosk/runtime/pin-attempts';
import { hashPin, pinMatches, StaffRoster } from '../../../src/kiosk/runtime/staff';

const attempts = () => PinAttempts.open(join(mkdtempSync(join(tmpdir(), 'civicard-pins-')), 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 });

const good = hashPin('2468');
const [, saltHex, hashHex] = good.split('$') as [string, string, string];

const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  ['a hash that is not hex (decodes to nothing)', `scrypt$${saltHex}$zz`],
  ['a one-digit hash (decodes to nothing)', `scrypt$${saltHex}$a`],
  ['an empty hash', `scrypt$${saltHex}$`],
  ['an empty salt', `scrypt$$${hashHex}`],
  ['a salt that is not hex', `scrypt$${'zz'.repeat(16)}$${hashHex}`],
  ['a short hash', `scrypt$${saltHex}$${hashHex.slice(0, 8)}`],
  ['a long hash', `scrypt$${saltHex}$${hashHex}00`],
  ['a short salt', `scrypt$${saltHex.slice(0, 4)}$${hashHex}`],
  ['another scheme', `bcrypt$${saltHex}$${hashHex}`],
  ['a fourth field', `${good}$00`],
  ['nothing at all', ''],
];

describe('stored PIN hashes', () => {
  it('a well-formed hash accepts its PIN and no other', async () => {
    expect(await pinMatches('2468', good)).toBe(true);
    expect(await pinMatches('2469', good)).toBe(false);
  });

  it.each(MALFORMED)('pinMatches refuses every PIN against %s', async (_what, pin_hash) => {
    expect(await pinMatches('2468', pin_hash)).toBe(false);
    expect(await pinMatches('0000', pin_hash)).toBe(false);
  });

  it.each(MALFORMED)('the roster refuses to load %s, naming the staff_ref and never the PIN', (_what, pin_hash) => {
    const load = () => new StaffRoster([{ staff_ref: 'staff-17', role: 'attendant', card_ref: 'c'.repeat(32), pin_hash }], attempts());
    expect(load).toThrow(/staff-17/);
    try {
      load();
    } catch (err) {
      expect((err as Error).message).not.toContain('2468');
      if (pin_hash !== '') expect((err as Error).message).not.toContain(pin_hash);
    }
  });

  it('verification runs off the event loop: timers keep turning while scrypt works', async () => {
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns += 1;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const verdict = pinMatches('2469', good);
    const turnsAtStart = turns;
    expect(await verdict).toBe(false);
    spinning = false;
    expect(turns - turnsAtStart).toBeGreaterThan(10);
  });
});
