import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateTestKeyset, writeKeysetFile } from '../../../src/card/keys/keyset-file';

// The keyset is checked before any reader is opened, so these runs never need pcscd.

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');

async function civicard(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stderr: e.stderr ?? '' };
  }
}

describe('civicard card with a test-only keyset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-cli-keys-'));
  const keys = join(dir, 'keys.json');
  writeKeysetFile(keys, generateTestKeyset());

  it.each([['issue'], ['info']])('card %s refuses a test-only keyset without --test-keys', async (command) => {
    const result = await civicard('card', command, '--keys', keys, '--timeout', '1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/test-only keyset/);
  });

  it('card info refuses a keyset others can read, even with --test-keys, naming chmod 600', async () => {
    const open = join(dir, 'open-keys.json');
    writeKeysetFile(open, generateTestKeyset());
    chmodSync(open, 0o644);
    const result = await civicard('card', 'info', '--keys', open, '--test-keys', '--timeout', '1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`chmod 600 ${open}`);
  });
});
