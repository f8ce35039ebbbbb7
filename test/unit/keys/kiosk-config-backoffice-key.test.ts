import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backOfficePublicKey } from '../../../src/downlink';
import { loadKioskConfig } from '../../../src/kiosk/config/kiosk-config';

// The back office's public key in the kiosk config: optional, and when present
// a PEM public key, never a private one pasted by mistake.

function configWith(fields: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'civicard-config-')), 'kiosk-config.json');
  writeFileSync(path, JSON.stringify({ format: 'civicard-kiosk-config/1', kiosk_id: 'K-1', terminal_id: 1, card_ref_key: 'ab'.repeat(32), ...fields }), { mode: 0o600 });
  return path;
}

describe('backoffice_public_key in the kiosk config', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('is optional', () => {
    expect(loadKioskConfig(configWith({})).backoffice_public_key).toBeUndefined();
  });

  it('reads a public key PEM the downlink can verify with', () => {
    const config = loadKioskConfig(configWith({ backoffice_public_key: pem }));
    expect(backOfficePublicKey(config.backoffice_public_key!).equals(publicKey)).toBe(true);
  });

  it('refuses a private key or anything else', () => {
    const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadKioskConfig(configWith({ backoffice_public_key: priv }))).toThrow(/backoffice_public_key must be the back office's public key as PEM/);
    expect(() => loadKioskConfig(configWith({ backoffice_public_key: 42 }))).toThrow(/backoffice_public_key/);
  });
});
