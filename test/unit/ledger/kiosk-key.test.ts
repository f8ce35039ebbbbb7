import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKioskKey, loadPublicKey } from '../../../src/ledger';
import { tempDir } from './helpers';

describe('kiosk key', () => {
  it('is created once as an Ed25519 PKCS#8 PEM file with mode 0600, and loaded the same afterwards', () => {
    const dir = tempDir();
    const path = join(dir, 'kiosk-key.pem');
    const made = loadOrCreateKioskKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(made.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(made.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const again = loadOrCreateKioskKey(path);
    expect(again.publicKeyPem).toBe(made.publicKeyPem);
    const sig = sign(null, Buffer.from('x'), again.privateKey);
    expect(verify(null, Buffer.from('x'), made.publicKey, sig)).toBe(true);
    expect(readdirSync(dir)).toEqual(['kiosk-key.pem']); // no temporary file left behind
  });

  it('refuses a key file that others can read', () => {
    const path = join(tempDir(), 'kiosk-key.pem');
    loadOrCreateKioskKey(path);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateKioskKey(path)).toThrow(/readable by others \(mode 644\); it must be 0600/);
  });

  it('refuses a key that is not Ed25519, or not a key', () => {
    const dir = tempDir();
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(() => loadOrCreateKioskKey(rsa)).toThrow(/not an Ed25519 private key/);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'hello', { mode: 0o600 });
    expect(() => loadOrCreateKioskKey(junk)).toThrow(/not a PEM private key/);
  });

  it('loads an enrolled public key from its PEM (or from the private key file)', () => {
    const dir = tempDir();
    const key = loadOrCreateKioskKey(join(dir, 'kiosk-key.pem'));
    writeFileSync(join(dir, 'kiosk.pub'), key.publicKeyPem);
    expect(loadPublicKey(join(dir, 'kiosk.pub')).equals(key.publicKey)).toBe(true);
    expect(loadPublicKey(join(dir, 'kiosk-key.pem')).equals(key.publicKey)).toBe(true);
  });
});
