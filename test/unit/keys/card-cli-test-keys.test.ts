import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestKeyset, writeKeysetFile } from '../../../src/card/keys/keyset-file';
import { runCivicard } from '../../support/civicard-cli';

// The keyset is checked before any reader is opened, so these runs never need pcscd.

const civicard = (...args: string[]) => runCivicard(args, { timeout_ms: 30_000 });

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
