import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKioskConfig, KioskConfigError, loadKioskConfig, loadOrCreateKioskConfig } from '../../../src/kiosk/config/kiosk-config';

const SETTINGS = { kiosk_id: 'K-EASTBRANCH-1', terminal_id: 101 };
const pathIn = () => join(mkdtempSync(join(tmpdir(), 'civicard-config-')), 'kiosk-config.json');

function configWith(fields: Record<string, unknown>): string {
  const path = pathIn();
  writeFileSync(path, JSON.stringify({ format: 'civicard-kiosk-config/1', ...SETTINGS, card_ref_key: 'ab'.repeat(32), ...fields }), { mode: 0o600 });
  return path;
}

describe('kiosk config and its card-reference key', () => {
  it('first start creates a random 32-byte key, owner-only; later starts read the same key', () => {
    const path = pathIn();
    const first = loadOrCreateKioskConfig(path, SETTINGS);
    expect(first.card_ref_key.length).toBe(32);
    expect(statSync(path).mode & 0o077).toBe(0);
    const again = loadOrCreateKioskConfig(path, { kiosk_id: 'OTHER', terminal_id: 5 });
    expect(again.card_ref_key.equals(first.card_ref_key)).toBe(true);
    expect(again).toMatchObject(SETTINGS);
    expect(loadOrCreateKioskConfig(pathIn(), SETTINGS).card_ref_key.equals(first.card_ref_key)).toBe(false);
  });

  it('never replaces an existing config', () => {
    const path = pathIn();
    createKioskConfig(path, SETTINGS);
    const before = readFileSync(path, 'utf8');
    expect(() => createKioskConfig(path, SETTINGS)).toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it.each([
    ['missing', { card_ref_key: undefined }],
    ['short', { card_ref_key: 'ab'.repeat(16) }],
    ['long', { card_ref_key: 'ab'.repeat(33) }],
    ['not hex', { card_ref_key: 'zz'.repeat(32) }],
    ['not a string', { card_ref_key: 42 }],
  ])('refuses a %s card_ref_key, saying what it must be', (_what, fields) => {
    const path = configWith(fields);
    expect(() => loadKioskConfig(path)).toThrow(KioskConfigError);
    expect(() => loadKioskConfig(path)).toThrow(/card_ref_key must be 32 bytes of hex/);
    expect(() => loadOrCreateKioskConfig(path, SETTINGS)).toThrow(/card_ref_key/); // a bad file is never silently replaced
  });

  it('refuses a missing file when asked to load one', () => {
    expect(() => loadKioskConfig(pathIn())).toThrow(/no such file/);
  });

  it('refuses a config group or others can read, naming chmod 600', () => {
    const path = configWith({});
    chmodSync(path, 0o644);
    expect(() => loadKioskConfig(path)).toThrow(`chmod 600 ${path}`);
  });

  it('refuses another format, bad JSON, and bad settings', () => {
    expect(() => loadKioskConfig(configWith({ format: 'something-else' }))).toThrow(/not a kiosk config/);
    expect(() => loadKioskConfig(configWith({ terminal_id: 0 }))).toThrow(/terminal_id/);
    expect(() => loadKioskConfig(configWith({ kiosk_id: '' }))).toThrow(/kiosk_id/);
    const path = pathIn();
    writeFileSync(path, '{', { mode: 0o600 });
    expect(() => loadKioskConfig(path)).toThrow(/not valid JSON/);
  });

  it('creates a separate 32-byte plate key (parking: plates travel to the back office only as HMACs under it)', () => {
    const path = pathIn();
    const first = loadOrCreateKioskConfig(path, SETTINGS);
    expect(first.plate_key?.length).toBe(32);
    expect(first.plate_key?.equals(first.card_ref_key)).toBe(false);
    expect(loadKioskConfig(path).plate_key?.equals(first.plate_key!)).toBe(true);
  });

  it('a config written before plate keys: loaded as none; the simulated kiosk adds one and keeps its card_ref_key', () => {
    const path = configWith({});
    expect(loadKioskConfig(path).plate_key).toBeNull();
    const upgraded = loadOrCreateKioskConfig(path, SETTINGS);
    expect(upgraded.card_ref_key.toString('hex')).toBe('ab'.repeat(32));
    expect(upgraded.plate_key?.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadKioskConfig(path).plate_key?.equals(upgraded.plate_key!)).toBe(true);
  });

  it.each([
    ['short', 'ab'.repeat(16)],
    ['not hex', 'zz'.repeat(32)],
    ['not a string', 7],
  ])('refuses a %s plate_key, saying what it must be', (_what, plate_key) => {
    const path = configWith({ plate_key });
    expect(() => loadKioskConfig(path)).toThrow(/plate_key must be 32 bytes of hex/);
    expect(() => loadOrCreateKioskConfig(path, SETTINGS)).toThrow(/plate_key/);
  });
});
