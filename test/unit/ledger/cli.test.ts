import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKioskKey } from '../../../src/ledger';
import { committed, fileLedger, intent, tempDir } from './helpers';

// `civicard ledger verify|export`, run as a user would: node bin/civicard.js.

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');
const CLI_TIMEOUT_MS = 30_000;

async function civicard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function ledgerFile() {
  const { ledger, path, dir, key } = fileLedger();
  ledger.appendIntent(intent(1));
  ledger.append(committed(1));
  ledger.appendIntent(intent(2));
  ledger.close();
  const pub = join(dir, 'kiosk.pub');
  writeFileSync(pub, key.publicKeyPem);
  return { path, dir, pub };
}

describe('civicard ledger (CLI)', () => {
  it('verify: one line and exit 0 for an intact ledger, with or without the enrolled key', async () => {
    const { path, pub } = ledgerFile();
    const plain = await civicard('ledger', 'verify', '--db', path);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(plain.stdout).toMatch(/^ledger OK: 3 entries, chain and signatures verified against the key stored in the ledger \(not an enrolled key\) \(last hash [0-9a-f]{16}…\)\n$/);
    const enrolled = await civicard('ledger', 'verify', '--db', path, '--public-key', pub);
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^ledger OK: 3 entries, .* against the enrolled key/);
  }, CLI_TIMEOUT_MS);

  it('verify: names the first bad entry and exits 1 for a tampered ledger', async () => {
    const { path } = ledgerFile();
    const db = new Database(path);
    db.exec('DROP TRIGGER entries_no_update');
    db.prepare(`UPDATE entries SET payload = replace(payload, '"amount_minor":350', '"amount_minor":35') WHERE seq = 3`).run();
    db.close();
    const bad = await civicard('ledger', 'verify', '--db', path);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('ledger BROKEN at entry 3: hash does not match the entry\n');
  }, CLI_TIMEOUT_MS);

  it('verify: exits 1 when the ledger was signed by another key than the enrolled one', async () => {
    const { path, dir } = ledgerFile();
    const other = loadOrCreateKioskKey(join(dir, 'other.pem'));
    writeFileSync(join(dir, 'other.pub'), other.publicKeyPem);
    const result = await civicard('ledger', 'verify', '--db', path, '--public-key', join(dir, 'other.pub'));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('ledger BROKEN: the ledger was signed by a different key than the enrolled one\n');
  }, CLI_TIMEOUT_MS);

  it('verify: exits 2 when there is nothing it can check', async () => {
    const missing = await civicard('ledger', 'verify', '--db', join(tempDir(), 'none.db'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ledger UNCHECKED: no ledger at .*none\.db\n$/);
  }, CLI_TIMEOUT_MS);

  it('export: one JSON line per entry, oldest first, optionally after a sequence number', async () => {
    const { path } = ledgerFile();
    const all = await civicard('ledger', 'export', '--db', path);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; payload: { kind: string }; hash: string; signature: string });
    expect(lines.map((l) => [l.seq, l.payload.kind])).toEqual([[1, 'intent'], [2, 'committed'], [3, 'intent']]);
    expect(Object.keys(lines[0]!)).toEqual(['seq', 'entry_id', 'at', 'payload', 'prev_hash', 'hash', 'signature']);
    expect(lines[1]!.payload).not.toHaveProperty('name');
    const since = await civicard('ledger', 'export', '--db', path, '--since', '2');
    expect(since.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([3]);
  }, CLI_TIMEOUT_MS);
});
