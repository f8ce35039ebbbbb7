import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { replaceFileDurably } from '../../shared/durable-file';
import { plateKeyId } from '../../shared/plates';

// The kiosk's own settings, in DIR/kiosk-config.json (mode 0600): who it is
// and the key that turns a card UID into its card reference. Every station
// that must recognise the same card (the kiosk, an attendant booth beside it)
// reads the same card_ref_key; a new key makes every card a stranger.
// plate_key turns a licence plate into the keyed hash the back office gets
// for parking enforcement (never the plate itself); every kiosk of a city
// must share it for a plate to be found whichever kiosk sold the time: the
// installer gives the city's key file at first start (src/shared/plate-key-file.ts).

export const KIOSK_CONFIG_FORMAT = 'civicard-kiosk-config/1';
export const KIOSK_CONFIG_FILE = 'kiosk-config.json';
const CARD_REF_KEY_BYTES = 32;
const PLATE_KEY_BYTES = 32;

export interface KioskSettings {
  /** Printed on receipts and carried in sync; never a person. */
  readonly kiosk_id: string;
  /** Written into card history records (0 is the issuing desk). */
  readonly terminal_id: number;
}

export interface KioskConfig extends KioskSettings {
  readonly card_ref_key: Buffer;
  /** Null in a config written before parking: a kiosk selling parking must be given one. */
  readonly plate_key: Buffer | null;
  /** The back office's Ed25519 public key (SPKI PEM): downlink bundles and hotlists must verify with it (docs/downlink.md). */
  readonly backoffice_public_key?: string;
}

export class KioskConfigError extends Error {
  override name = 'KioskConfigError';
}

export function loadKioskConfig(path: string): KioskConfig {
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KioskConfigError(`${path} holds the card-reference key and can be read by group or others (mode ${mode.toString(8).padStart(3, '0')}); run \`chmod 600 ${path}\``);
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof KioskConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new KioskConfigError(`cannot read kiosk config ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KioskConfigError(`kiosk config ${path} is not valid JSON`);
  }
  return checkConfig(path, parsed);
}

/** First start of a kiosk directory: a fresh random card-reference key; the city's plate key when given (else a random one, for a kiosk on its own). Refuses to overwrite. */
export function createKioskConfig(path: string, settings: KioskSettings, given: { plate_key?: Buffer } = {}): KioskConfig {
  const config: KioskConfig = { ...settings, card_ref_key: randomBytes(CARD_REF_KEY_BYTES), plate_key: given.plate_key ?? randomBytes(PLATE_KEY_BYTES) };
  checkSettings(path, config);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KioskConfigError(`${path} already exists; not replacing a kiosk's card-reference key`);
    throw err;
  }
  try {
    writeSync(fd, configText(config));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return config;
}

/**
 * The simulated kiosk's way: read the config if the directory has one, else
 * create it. `plate_key`, the city's, is taken at first start; a config that
 * holds another one is refused (its sessions' hashes would not match).
 */
export function loadOrCreateKioskConfig(path: string, settings: KioskSettings, given: { plate_key?: Buffer } = {}): KioskConfig {
  try {
    statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return createKioskConfig(path, settings, given);
    throw err;
  }
  const config = loadKioskConfig(path);
  if (config.plate_key !== null && given.plate_key !== undefined && !config.plate_key.equals(given.plate_key)) {
    throw new KioskConfigError(
      `${path} holds plate key ${plateKeyId(config.plate_key)}, not the one given (${plateKeyId(given.plate_key)}): sessions this kiosk sold would not be found by the other key; ` +
        'start it without --plate-key, or, if it never sold parking, replace plate_key in its config with the city\'s',
    );
  }
  if (config.plate_key !== null) return config;
  // Written before parking: add a plate key, keeping the card-reference key and everything else.
  const upgraded: KioskConfig = { ...config, plate_key: given.plate_key ?? randomBytes(PLATE_KEY_BYTES) };
  replaceFileDurably(path, configText(upgraded), { mode: 0o600, sync_dir: true });
  return upgraded;
}

function configText(config: KioskConfig): string {
  const file = {
    format: KIOSK_CONFIG_FORMAT,
    kiosk_id: config.kiosk_id,
    terminal_id: config.terminal_id,
    card_ref_key: config.card_ref_key.toString('hex'),
    ...(config.plate_key === null ? {} : { plate_key: config.plate_key.toString('hex') }),
    ...(config.backoffice_public_key === undefined ? {} : { backoffice_public_key: config.backoffice_public_key }),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function checkConfig(path: string, parsed: unknown): KioskConfig {
  const file = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (file.format !== KIOSK_CONFIG_FORMAT) throw new KioskConfigError(`${path} is not a kiosk config (expected format ${KIOSK_CONFIG_FORMAT})`);
  const hex = file.card_ref_key;
  if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${CARD_REF_KEY_BYTES * 2}}$`).test(hex)) {
    throw new KioskConfigError(`${path}: card_ref_key must be ${CARD_REF_KEY_BYTES} bytes of hex (${CARD_REF_KEY_BYTES * 2} hex digits)`);
  }
  const plate = file.plate_key;
  if (plate !== undefined && (typeof plate !== 'string' || !new RegExp(`^[0-9a-fA-F]{${PLATE_KEY_BYTES * 2}}$`).test(plate))) {
    throw new KioskConfigError(`${path}: plate_key must be ${PLATE_KEY_BYTES} bytes of hex (${PLATE_KEY_BYTES * 2} hex digits)`);
  }
  const plate_key = plate === undefined ? null : Buffer.from(plate, 'hex');
  const config = { kiosk_id: file.kiosk_id, terminal_id: file.terminal_id, card_ref_key: Buffer.from(hex, 'hex'), plate_key } as KioskConfig;
  checkSettings(path, config);
  if (file.backoffice_public_key === undefined) return config;
  const pem = file.backoffice_public_key;
  if (typeof pem !== 'string' || !/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/.test(pem)) {
    throw new KioskConfigError(`${path}: backoffice_public_key must be the back office's public key as PEM (civicard admin backoffice-key prints it)`);
  }
  return { ...config, backoffice_public_key: pem };
}

function checkSettings(path: string, settings: KioskSettings): void {
  if (typeof settings.kiosk_id !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(settings.kiosk_id)) throw new KioskConfigError(`${path}: kiosk_id must be 1 to 32 letters, digits or dashes`);
  const t = settings.terminal_id;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 0xffff_ffff) throw new KioskConfigError(`${path}: terminal_id must be a whole number from 1 to 4294967295 (it is written to the card as 32 bits)`);
}
