import { existsSync } from 'node:fs';
import { loadOrCreateKioskKey, type KioskKey } from '../../ledger/kiosk-key';

// The back office's own Ed25519 key, which signs every bundle and hotlist
// answer. Its file is made and guarded exactly like a kiosk's key (PKCS#8 PEM,
// 0600, written whole), so the same code does it; its public half goes into
// every kiosk's config as backoffice_public_key.

export type BackOfficeKey = KioskKey;

export class BackOfficeKeyError extends Error {
  override name = 'BackOfficeKeyError';
}

/** The key at `path`, made on first start. */
export function loadOrCreateBackOfficeKey(path: string): BackOfficeKey {
  return loadOrCreateKioskKey(path);
}

/** A new key at `path` (`civicard admin backoffice-key --out FILE`); never replaces one: every kiosk trusts the old one. */
export function createBackOfficeKey(path: string): BackOfficeKey {
  if (existsSync(path)) throw new BackOfficeKeyError(`${path} already exists; not replacing the back-office key every kiosk trusts`);
  return loadOrCreateKioskKey(path);
}

/** What a kiosk config takes: `"backoffice_public_key": "…"`. */
export function kioskConfigLine(publicKeyPem: string): { backoffice_public_key: string } {
  return { backoffice_public_key: publicKeyPem };
}
