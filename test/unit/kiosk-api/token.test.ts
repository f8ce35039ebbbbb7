import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newApiToken, tokenMatches } from '../../../src/kiosk/api/token';
import { writeApiTokenFile } from '../../../src/kiosk/api/token-file';

const dir = mkdtempSync(join(tmpdir(), 'civicard-api-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the per-session API token', () => {
  it('is 32 random bytes, new at every start', () => {
    const a = newApiToken();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newApiToken()).not.toBe(a);
  });

  it('matches only itself, whatever the length presented', () => {
    const t = newApiToken();
    expect(tokenMatches(t, t)).toBe(true);
    for (const other of ['', t.slice(0, -1), `${t}A`, newApiToken(), t.toUpperCase()]) expect(tokenMatches(other, t)).toBe(false);
  });

  it('is written to a file only its owner can read, replacing a previous session token and its loose mode', () => {
    const path = join(dir, 'api-token');
    writeFileSync(path, 'old session');
    chmodSync(path, 0o644);
    const t = newApiToken();
    expect(writeApiTokenFile(dir, t)).toBe(path);
    expect(readFileSync(path, 'utf8')).toBe(`${t}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
