import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { PLATE_KEY_BYTES, plateKeyId } from './plates';

// The city's plate key in a file of its own (mode 0600), made once by the
// installer (`civicard keys plate-key --out FILE`) and given to every kiosk at
// its first start (`civicard kiosk --plate-key FILE`, kept in its config) and
// to the enforcement lookup (`civicard admin plate-lookup --plate-key FILE`).
// The back-office server never needs it, and it is never sent anywhere.

export const PLATE_KEY_FORMAT = 'civicard-plate-key/1';

export interface PlateKey {
  readonly plate_key: Buffer;
  /** Names the key without revealing it (src/shared/plates.ts). */
  readonly key_id: string;
}

export class PlateKeyFileError extends Error {
  override name = 'PlateKeyFileError';
}

/** A new random plate key at `path`; refuses to replace one (a new key makes every hash held a stranger). */
export function writePlateKeyFile(path: string): PlateKey {
  const plate_key = randomBytes(PLATE_KEY_BYTES);
  const key_id = plateKeyId(plate_key);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PlateKeyFileError(`${path} already exists; not replacing the city's plate key`);
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify({ format: PLATE_KEY_FORMAT, key_id, plate_key: plate_key.toString('hex') }, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { plate_key, key_id };
}

export function readPlateKeyFile(path: string): PlateKey {
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new PlateKeyFileError(`${path} holds the city's plate key and can be read by group or others (mode ${mode.toString(8).padStart(3, '0')}); run \`chmod 600 ${path}\``);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof PlateKeyFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlateKeyFileError(`cannot read plate key ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    /* refused below */
  }
  if (parsed.format !== PLATE_KEY_FORMAT) throw new PlateKeyFileError(`${path} is not a plate key file (expected format ${PLATE_KEY_FORMAT}; make one with civicard keys plate-key)`);
  const hex = parsed.plate_key;
  if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${PLATE_KEY_BYTES * 2}}$`).test(hex)) throw new PlateKeyFileError(`${path}: plate_key must be ${PLATE_KEY_BYTES * 2} hex digits`);
  const plate_key = Buffer.from(hex, 'hex');
  return { plate_key, key_id: plateKeyId(plate_key) };
}
