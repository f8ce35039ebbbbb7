import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildElectron } from '../../../scripts/build-electron';

// The build step's two outputs: a sandboxed preload can require nothing but
// `electron` (everything else must be bundled in), and main is an ES module
// that leaves packages (native ones included) to node_modules.

let out: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'civicard-electron-build-'));
  await buildElectron(out);
}, 30_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('build:electron', () => {
  it('makes a CommonJS preload that requires only electron', () => {
    const preload = readFileSync(join(out, 'preload/index.cjs'), 'utf8');
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld("civicard"');
    expect(preload).not.toMatch(/^import /m);
  });

  it('makes an ES module main with electron and the native packages left external', () => {
    const main = readFileSync(join(out, 'main/index.js'), 'utf8');
    expect(main).toMatch(/^import .* from "electron";$/m);
    expect(main).toMatch(/from "better-sqlite3"/);
    expect(main).toContain('registerSchemesAsPrivileged');
    expect(main).not.toContain('require("electron")');
  });
});
