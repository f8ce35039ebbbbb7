import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

// The kiosk's Ed25519 signing key: made once at installation, kept in a PEM
// file (PKCS#8) readable by the kiosk user only. Its public half (SPKI PEM) is
// what the back office enrolls and what the ledger stores in its meta table.

export interface KioskKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export class KioskKeyError extends Error {
  override name = 'KioskKeyError';
}

/** Loads the key at `path`, creating it first if there is none. Refuses a key file others can read. */
export function loadOrCreateKioskKey(path: string): KioskKey {
  if (!exists(path)) createKeyFile(path);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new KioskKeyError(`${path} is readable by others (mode ${mode.toString(8)}); it must be 0600`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (e) {
    throw new KioskKeyError(`${path} is not a PEM private key: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KioskKeyError(`${path} is not an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** An enrolled kiosk public key (SPKI PEM); a private key file also works and yields its public half. */
export function loadPublicKey(path: string): KeyObject {
  const key = createPublicKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new KioskKeyError(`${path} is not an Ed25519 key`);
  return key;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Writes a new key to a temporary file (0600, fsynced) and links it into place,
 * so `path` never holds half a key, and two processes racing to create it end
 * up sharing whichever one linked first.
 */
function createKeyFile(path: string): void {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
