import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { blankCardState, type CardState } from './state';
import { parseCardState } from './state-schema';

// The card's EEPROM on disk. Saving writes a temporary file, fsyncs it and
// renames it over the old one, so a crash leaves either the old or the new
// state, never half of one.

/** A missing or empty file is a blank card; anything unreadable or malformed throws, naming the file. */
export function loadCardState(path: string): CardState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return blankCardState();
    throw new Error(`cannot read card state file ${path}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return blankCardState();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`card state file ${path} is corrupt (not JSON: ${(err as Error).message})`);
  }
  try {
    return parseCardState(json);
  } catch (err) {
    throw new Error(`card state file ${path} is corrupt (${(err as Error).message})`);
  }
}

export function saveCardStateAtomic(path: string, state: CardState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirectory(dirname(path));
}

/** Makes the rename itself durable. Best effort: some filesystems refuse to open a directory. */
function fsyncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here; the data file itself was synced.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
