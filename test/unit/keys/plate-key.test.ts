import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KioskConfigError, loadKioskConfig, loadOrCreateKioskConfig } from '../../../src/kiosk/config/kiosk-config';
import { readPlateKeyFile, writePlateKeyFile } from '../../../src/shared/plate-key-file';
import { plateKeyId } from '../../../src/shared/plates';

// One plate key for a city: made once by the installer, given to every kiosk
// at its first start and to the enforcement lookup; never sent anywhere.

const SETTINGS = { kiosk_id: 'K-1', terminal_id: 1 };
const dirOf = () => mkdtempSync(join(tmpdir(), 'civicard-plate-key-'));

describe('the city plate key file', () => {
  it('is 32 random bytes, owner-only, never overwritten, named by an id that does not reveal it', () => {
    const path = join(dirOf(), 'plate-key.json');
    const made = writePlateKeyFile(path);
    expect(made.plate_key.length).toBe(32);
    expect(made.key_id).toBe(plateKeyId(made.plate_key));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readPlateKeyFile(path).plate_key.equals(made.plate_key)).toBe(true);
    expect(() => writePlateKeyFile(path)).toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).not.toContain(made.plate_key.toString('base64'));
  });

  it('refuses a file others can read, a missing one, and one that is not a plate key', () => {
    const dir = dirOf();
    const path = join(dir, 'plate-key.json');
    writePlateKeyFile(path);
    chmodSync(path, 0o644);
    expect(() => readPlateKeyFile(path)).toThrow(/chmod 600/);
    expect(() => readPlateKeyFile(join(dir, 'none.json'))).toThrow(/no such file/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ format: 'civicard-plate-key/1', plate_key: 'ab' }), { mode: 0o600 });
    expect(() => readPlateKeyFile(join(dir, 'bad.json'))).toThrow(/64 hex/);
  });

  it('a kiosk takes it at first start; a later start with the same key carries on, with another is refused', () => {
    const dir = dirOf();
    const { plate_key } = writePlateKeyFile(join(dir, 'plate-key.json'));
    const path = join(dir, 'kiosk-config.json');
    expect(loadOrCreateKioskConfig(path, SETTINGS, { plate_key }).plate_key!.equals(plate_key)).toBe(true);
    expect(loadOrCreateKioskConfig(path, SETTINGS, { plate_key }).plate_key!.equals(plate_key)).toBe(true);
    expect(loadOrCreateKioskConfig(path, SETTINGS).plate_key!.equals(plate_key)).toBe(true);
    expect(() => loadOrCreateKioskConfig(path, SETTINGS, { plate_key: Buffer.alloc(32, 1) })).toThrow(KioskConfigError);
    expect(() => loadOrCreateKioskConfig(path, SETTINGS, { plate_key: Buffer.alloc(32, 1) })).toThrow(new RegExp(plateKeyId(plate_key)));
  });

  it('a config written before plate keys takes the city key, keeping its card_ref_key and back-office key', () => {
    const dir = dirOf();
    const path = join(dir, 'kiosk-config.json');
    const backoffice_public_key = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
    writeFileSync(path, JSON.stringify({ format: 'civicard-kiosk-config/1', ...SETTINGS, card_ref_key: 'ab'.repeat(32), backoffice_public_key }), { mode: 0o600 });
    const plate_key = Buffer.alloc(32, 3);
    loadOrCreateKioskConfig(path, SETTINGS, { plate_key });
    const read = loadKioskConfig(path);
    expect(read.plate_key!.equals(plate_key)).toBe(true);
    expect(read.card_ref_key.toString('hex')).toBe('ab'.repeat(32));
    expect(read.backoffice_public_key).toBe(backoffice_public_key);
  });
});
