import { CARD_STATE_FORMAT, MAX_FILE_NO, UID_BYTES, type ApplicationState, type CardState, type FileState, type KeyState } from './state';

// Checks that parsed JSON really is a CardState before the simulator trusts it.
// A hand-edited or half-written file must fail loudly, naming what is wrong,
// instead of surfacing later as a strange card answer.

export class CardStateFormatError extends Error {
  override name = 'CardStateFormatError';
}

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new CardStateFormatError(`${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function hex(v: unknown, path: string, bytes?: number): string {
  if (typeof v !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(v)) fail(path, 'must be a hex string');
  if (bytes !== undefined && v.length !== bytes * 2) fail(path, `must be ${bytes} bytes`);
  return v;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer in ${min}..${max}`);
  return v;
}

function nibble(v: unknown, path: string): number {
  return int(v, path, 0, 15);
}

function key(v: unknown, path: string): KeyState {
  const k = obj(v, path);
  hex(k.keyHex, `${path}.keyHex`, 16);
  int(k.version, `${path}.version`, 0, 255);
  return k as unknown as KeyState;
}

function file(v: unknown, path: string): FileState {
  const f = obj(v, path);
  if (f.commMode !== 'plain' && f.commMode !== 'mac' && f.commMode !== 'full') fail(`${path}.commMode`, 'must be plain, mac or full');
  const a = obj(f.access, `${path}.access`);
  for (const n of ['read', 'write', 'readWrite', 'change']) nibble(a[n], `${path}.access.${n}`);
  switch (f.type) {
    case 'stdData':
      if (hex(f.dataHex, `${path}.dataHex`).length === 0) fail(`${path}.dataHex`, 'a data file has at least one byte');
      break;
    case 'value': {
      const lower = int(f.lowerLimit, `${path}.lowerLimit`, -0x80000000, 0x7fffffff);
      const upper = int(f.upperLimit, `${path}.upperLimit`, lower, 0x7fffffff);
      int(f.value, `${path}.value`, lower, upper);
      if (typeof f.limitedCreditEnabled !== 'boolean') fail(`${path}.limitedCreditEnabled`, 'must be a boolean');
      int(f.limitedCreditAvailable, `${path}.limitedCreditAvailable`, 0, 0x7fffffff);
      break;
    }
    case 'cyclicRecord': {
      const size = int(f.recordSize, `${path}.recordSize`, 1, 0xffffff);
      const max = int(f.maxRecords, `${path}.maxRecords`, 2, 0xffffff);
      if (!Array.isArray(f.recordsHex)) fail(`${path}.recordsHex`, 'must be a list');
      if (f.recordsHex.length > max - 1) fail(`${path}.recordsHex`, `holds more than maxRecords − 1 (${max - 1}) records`);
      f.recordsHex.forEach((r, i) => hex(r, `${path}.recordsHex[${i}]`, size));
      break;
    }
    case 'transactionMac':
      hex(f.keyHex, `${path}.keyHex`, 16);
      int(f.keyVersion, `${path}.keyVersion`, 0, 255);
      int(f.tmc, `${path}.tmc`, 0, 0xffffffff);
      hex(f.tmvHex, `${path}.tmvHex`, 8);
      break;
    default:
      fail(`${path}.type`, 'must be stdData, value, cyclicRecord or transactionMac');
  }
  return f as unknown as FileState;
}

function application(v: unknown, path: string): ApplicationState {
  const a = obj(v, path);
  int(a.keySettings1, `${path}.keySettings1`, 0, 255);
  int(a.keySettings2, `${path}.keySettings2`, 0, 255);
  if (!Array.isArray(a.keys) || a.keys.length < 1 || a.keys.length > 14) fail(`${path}.keys`, 'must be a list of 1..14 keys');
  a.keys.forEach((k, i) => key(k, `${path}.keys[${i}]`));
  const files = obj(a.files, `${path}.files`);
  for (const [no, f] of Object.entries(files)) {
    if (!/^\d+$/.test(no) || Number(no) > MAX_FILE_NO) fail(`${path}.files`, `"${no}" is not a file number 0..${MAX_FILE_NO}`);
    file(f, `${path}.files.${no}`);
  }
  return a as unknown as ApplicationState;
}

/** Returns `json` typed as a CardState, or throws CardStateFormatError naming the first bad field. */
export function parseCardState(json: unknown): CardState {
  const s = obj(json, 'state');
  if (s.format !== CARD_STATE_FORMAT) fail('state.format', `must be "${CARD_STATE_FORMAT}"`);
  hex(s.uidHex, 'state.uidHex', UID_BYTES);
  key(s.piccKey, 'state.piccKey');
  if (s.randomUid !== undefined && typeof s.randomUid !== 'boolean') fail('state.randomUid', 'must be a boolean');
  const apps = obj(s.applications, 'state.applications');
  for (const [aid, app] of Object.entries(apps)) {
    if (!/^[0-9A-F]{6}$/.test(aid) || aid === '000000') fail('state.applications', `"${aid}" is not an application id (6 upper-case hex digits, not 000000)`);
    application(app, `state.applications.${aid}`);
  }
  return s as unknown as CardState;
}
