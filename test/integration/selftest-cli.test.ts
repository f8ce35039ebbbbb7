import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');
const PUBLIC_VECTORS = join(process.cwd(), 'test/fixtures/vectors/ev2-public.json');

async function selftest(...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'selftest', ...args]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('civicard selftest', () => {
  it('runs the built-in known answers', async () => {
    const { code, stdout } = await selftest();
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('passes the published vectors file and reports each vector', async () => {
    const { code, stdout } = await selftest('--vectors', PUBLIC_VECTORS);
    const lines = stdout.trim().split('\n');
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('20 passed, 0 failed');
    expect(lines.filter((l) => l.startsWith('PASS '))).toHaveLength(20);
  });

  it('exits non-zero when a vector fails or a section cannot be run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-vectors-'));
    const tampered = JSON.parse(readFileSync(PUBLIC_VECTORS, 'utf8'));
    tampered.cmac[0].cmac = '00000000000000000000000000000000';
    tampered.iv = { not: 'a list' };
    const file = join(dir, 'tampered.json');
    writeFileSync(file, JSON.stringify(tampered));
    const { code, stdout } = await selftest('--vectors', file);
    expect(code).not.toBe(0);
    expect(stdout).toMatch(/^FAIL cmac\[0\]/m);
    expect(stdout).toMatch(/^FAIL iv: section could not be run/m);
    expect(stdout.trim().split('\n').at(-1)).toBe('17 passed, 2 failed');
  });

  it('exits non-zero for a file that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-vectors-'));
    const file = join(dir, 'garbage.json');
    writeFileSync(file, 'not json');
    const { code, stdout } = await selftest('--vectors', file);
    expect(code).not.toBe(0);
    expect(stdout.trim()).toBe('0 passed, 1 failed');
  });
});
