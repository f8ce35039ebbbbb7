import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

// Small state files (print journal, PIN attempts, patrons awaiting the ILS):
// replaced whole, so a crash leaves the old content or the new, never half.

/**
 * Writes `text` to a temp file beside `path`, fsyncs it and renames it over
 * `path`; with `sync_dir`, fsyncs the directory too so the rename itself
 * survives a power cut.
 */
export function replaceFileDurably(path: string, text: string, opts: { mode: number; sync_dir: boolean }): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', opts.mode);
  try {
    let written = 0;
    const bytes = Buffer.from(text);
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (!opts.sync_dir) return;
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** The file's text, or null when there is no such file (any other error is thrown). */
export function readFileIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
