import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_TOKEN_FILE = 'api-token';

/**
 * Writes the session's API token to DIR/api-token, readable by its owner only,
 * and returns the path. A new file is renamed over the old one, so the mode is
 * 0600 even when a previous session left a looser file behind.
 */
export function writeApiTokenFile(dir: string, token: string): string {
  const path = join(dir, API_TOKEN_FILE);
  const fresh = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(fresh, `${token}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, path);
  return path;
}
