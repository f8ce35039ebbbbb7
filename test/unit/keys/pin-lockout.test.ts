import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinAttempts, PinAttemptsError } from '../../../src/kiosk/runtime/pin-attempts';
import { hashPin, StaffRoster } from '../../../src/kiosk/runtime/staff';

const POLICY = { max_attempts: 3, lockout_ms: 300_000 };
const MEMBERS = [
  { staff_ref: 'staff-17', role: 'attendant' as const, card_ref: 'a'.repeat(32), pin_hash: hashPin('2468') },
  { staff_ref: 'staff-02', role: 'supervisor' as const, card_ref: 'b'.repeat(32), pin_hash: hashPin('9999') },
];

function station(dir: string, clock: { ms: number }) {
  return new StaffRoster(MEMBERS, PinAttempts.open(join(dir, 'pin-attempts.json'), POLICY, () => clock.ms));
}

describe('wrong-PIN lockout kept across restarts', () => {
  it('a staff_ref locked out before a restart stays locked out after it, even with the right PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const clock = { ms: Date.parse('2026-03-02T08:00:00Z') };
    const before = station(dir, clock);
    for (const pin of ['1111', '2222', '3333']) expect(await before.checkPin('staff-17', pin)).toBe(false);

    const after = station(dir, clock); // the station restarts on the same directory
    expect(await after.checkPin('staff-17', '2468')).toBe(false);
    expect(await after.checkPin('staff-02', '9999')).toBe(true); // only that staff_ref is locked

    clock.ms += POLICY.lockout_ms;
    expect(await after.checkPin('staff-17', '2468')).toBe(true);
  });

  it('wrong PINs counted before a restart still count after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const clock = { ms: Date.parse('2026-03-02T08:00:00Z') };
    const before = station(dir, clock);
    expect(await before.checkPin('staff-17', '1111')).toBe(false);
    expect(await before.checkPin('staff-17', '2222')).toBe(false);

    const after = station(dir, clock);
    expect(await after.checkPin('staff-17', '3333')).toBe(false);
    expect(await after.checkPin('staff-17', '2468')).toBe(false); // the third wrong PIN locked it
  });

  it('the right PIN clears the count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const clock = { ms: Date.parse('2026-03-02T08:00:00Z') };
    const roster = station(dir, clock);
    expect(await roster.checkPin('staff-17', '1111')).toBe(false);
    expect(await roster.checkPin('staff-17', '2222')).toBe(false);
    expect(await roster.checkPin('staff-17', '2468')).toBe(true);
    expect(await station(dir, clock).checkPin('staff-17', '3333')).toBe(false);
    expect(await station(dir, clock).checkPin('staff-17', '2468')).toBe(true);
  });

  it('a clock set back does not stretch the lockout beyond its length', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const clock = { ms: Date.parse('2026-03-02T08:00:00Z') };
    const roster = station(dir, clock);
    for (const pin of ['1111', '2222', '3333']) await roster.checkPin('staff-17', pin);
    clock.ms -= 24 * 3_600_000;
    expect(await station(dir, clock).checkPin('staff-17', '2468')).toBe(true);
  });

  it('keeps only staff_refs and counts in a file its owner alone can read, never a PIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const roster = station(dir, { ms: Date.now() });
    await roster.checkPin('staff-17', '1357');
    const path = join(dir, 'pin-attempts.json');
    expect(statSync(path).mode & 0o077).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('staff-17');
    expect(text).not.toContain('1357');
  });

  it('refuses a count file it cannot trust instead of starting from zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-lockout-'));
    const path = join(dir, 'pin-attempts.json');
    writeFileSync(path, '{"format":"civicard-pin-attempts/1","staff":{"staff-17":{"failures":"many"}}}', { mode: 0o600 });
    expect(() => PinAttempts.open(path, POLICY)).toThrow(PinAttemptsError);
    writeFileSync(path, 'not json');
    expect(() => PinAttempts.open(path, POLICY)).toThrow(PinAttemptsError);
    writeFileSync(path, '{"format":"civicard-pin-attempts/1","staff":{}}');
    chmodSync(path, 0o666);
    expect(() => PinAttempts.open(path, POLICY)).toThrow(/chmod 600/);
  });
});
