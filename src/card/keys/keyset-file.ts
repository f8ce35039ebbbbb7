import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
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

/**
 * How the caller runs. Only a simulated station (sim kiosk, demo, tests, or the
 * CLI with --test-keys) may load a keyset made by `civicard keys generate`.
 */
export interface KeysetMode {
  simulated: boolean;
  /** The master keys this station may hold (default: all in the file). */
  roles?: readonly KeyRole[];
}

export function loadKeyVault(path: string, mode: KeysetMode): SoftwareKeyVault {
  if (typeof mode !== 'object' || mode === null || typeof mode.simulated !== 'boolean') {
    throw new TypeError('loadKeyVault needs { simulated: boolean }: say whether this station is simulated');
  }
  const file = readKeysetFile(path);
  const test_only = file.test_only !== false; // a file that does not say is treated as test keys
  if (test_only && !mode.simulated) {
    throw new KeysetFileError(`${path} is a test-only keyset (made by \`civicard keys generate\`); it is refused outside simulated mode because its keys never went through a key ceremony`);
  }
  const masters: Partial<Record<KeyRole, Buffer>> = {};
  // Every station holds the identification key (it moves no money); the roles asked for come on top.
  for (const role of mode.roles ? [...mode.roles, 'ident' as const] : KEY_ROLES) {
    const hex = (file.keys as Record<string, unknown>)[role];
    if (hex === undefined) continue;
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new KeysetFileError(`${path}: the ${role} key is not 16 bytes of hex`);
    masters[role] = Buffer.from(hex, 'hex');
  }
  return new SoftwareKeyVault(basename(path), test_only, masters);
}

function readKeysetFile(path: string): Partial<KeysetFile> {
  let text: string;
  try {
    refuseIfOthersCanRead(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof KeysetFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeysetFileError(`cannot read keyset ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeysetFileError(`cannot read keyset ${path}: not valid JSON`);
  }
  const file = parsed as Partial<KeysetFile>;
  if (file.format !== KEYSET_FORMAT || typeof file.keys !== 'object' || file.keys === null) {
    throw new KeysetFileError(`${path} is not a Civicard keyset (expected format ${KEYSET_FORMAT})`);
  }
  return file;
}

function refuseIfOthersCanRead(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KeysetFileError(`${path} can be read by group or others (mode ${mode.toString(8).padStart(3, '0')}); run \`chmod 600 ${path}\` and check who could have copied it`);
  }
}
