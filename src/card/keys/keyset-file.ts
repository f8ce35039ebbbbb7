import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { KEY_ROLES, SoftwareKeyVault, type KeyRole } from './keyvault';

// A keyset file: JSON holding the five master keys. `civicard keys generate`
// writes one marked test-only; production keys come from a key ceremony into a SAM.

export const KEYSET_FORMAT = 'civicard-keyset/1';

export interface KeysetFile {
  format: typeof KEYSET_FORMAT;
  test_only: boolean;
  created_at: string;
  warning: string;
  keys: Record<KeyRole, string>;
}

export class KeysetFileError extends Error {
  override name = 'KeysetFileError';
}

export function generateTestKeyset(now = new Date()): KeysetFile {
  const keys = {} as Record<KeyRole, string>;
  for (const role of KEY_ROLES) keys[role] = randomBytes(16).toString('hex').toUpperCase();
  return {
    format: KEYSET_FORMAT,
    test_only: true,
    created_at: now.toISOString(),
    warning: 'TEST KEYS ONLY. Made by `civicard keys generate`; never use for cards that hold real money.',
    keys,
  };
}

/** Writes the keyset readable by its owner only; refuses to overwrite an existing file. */
export function writeKeysetFile(path: string, keyset: KeysetFile): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeysetFileError(`${path} already exists; not overwriting a keyset`);
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(keyset, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function loadKeyVault(path: string, roles: readonly KeyRole[] = KEY_ROLES): SoftwareKeyVault {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON';
    throw new KeysetFileError(`cannot read keyset ${path}: ${why}`);
  }
  const file = parsed as Partial<KeysetFile>;
  if (file.format !== KEYSET_FORMAT || typeof file.keys !== 'object' || file.keys === null) {
    throw new KeysetFileError(`${path} is not a Civicard keyset (expected format ${KEYSET_FORMAT})`);
  }
  const masters: Partial<Record<KeyRole, Buffer>> = {};
  for (const role of roles) {
    const hex = (file.keys as Record<string, unknown>)[role];
    if (hex === undefined) continue;
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new KeysetFileError(`${path}: the ${role} key is not 16 bytes of hex`);
    masters[role] = Buffer.from(hex, 'hex');
  }
  return new SoftwareKeyVault(basename(path), file.test_only !== false, masters);
}
