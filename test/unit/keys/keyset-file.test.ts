import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestKeyset, KeysetFileError, loadKeyVault, writeKeysetFile } from '../../../src/card/keys/keyset-file';

const dir = () => mkdtempSync(join(tmpdir(), 'civicard-keys-'));

function keysetAt(path: string, test_only: boolean): void {
  writeKeysetFile(path, { ...generateTestKeyset(), test_only });
}

describe('loading a keyset file', () => {
  it('refuses a test-only keyset outside simulated mode, saying why', () => {
    const path = join(dir(), 'keys.json');
    keysetAt(path, true);
    expect(() => loadKeyVault(path, { simulated: false })).toThrow(KeysetFileError);
    expect(() => loadKeyVault(path, { simulated: false })).toThrow(/test-only.*simulated/);
  });

  it('accepts a test-only keyset in simulated mode, holding only the roles asked for', () => {
    const path = join(dir(), 'keys.json');
    keysetAt(path, true);
    const vault = loadKeyVault(path, { simulated: true, roles: ['debit', 'read'] });
    expect(vault.testOnly).toBe(true);
    expect(vault.has('debit')).toBe(true);
    expect(vault.has('credit')).toBe(false);
  });

  it('accepts a keyset not marked test-only outside simulated mode', () => {
    const path = join(dir(), 'keys.json');
    keysetAt(path, false);
    expect(loadKeyVault(path, { simulated: false }).testOnly).toBe(false);
  });

  it('treats a keyset without a test_only field as test-only (never as real keys by omission)', () => {
    const path = join(dir(), 'keys.json');
    const { test_only: _t, ...rest } = generateTestKeyset();
    writeFileSync(path, JSON.stringify(rest), { mode: 0o600 });
    expect(() => loadKeyVault(path, { simulated: false })).toThrow(/test-only/);
  });

  it.each(['640', '604', '644', '660'])('refuses a keyset file with mode %s (group or others can read it), naming chmod 600', (mode) => {
    const path = join(dir(), 'keys.json');
    keysetAt(path, false);
    chmodSync(path, parseInt(mode, 8));
    expect(() => loadKeyVault(path, { simulated: true })).toThrow(KeysetFileError);
    expect(() => loadKeyVault(path, { simulated: true })).toThrow(`chmod 600 ${path}`);
  });

  it('refuses to be called without a mode (a caller must say whether it is simulated)', () => {
    const path = join(dir(), 'keys.json');
    keysetAt(path, false);
    expect(() => loadKeyVault(path, undefined as never)).toThrow(TypeError);
    expect(() => loadKeyVault(path, ['debit'] as never)).toThrow(TypeError);
  });
});
