import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKioskKey } from '../../../src/ledger';
import { committed, fileLedger, intent, tempDir } from './helpers';
import { copyLedger, resignWithNewKey, truncateAfter, unprotected } from './verify-forgery';
import { runCivicard } from '../../support/civicard-cli';

// `civicard ledger verify|export`, run as a user would: node bin/civicard.js.

const CLI_TIMEOUT_MS = 30_000;

const civicard = (...args: string[]) => runCivicard(args);

function ledgerFile() {
  const { ledger, path, dir, key } = fileLedger();
  ledger.appendIntent(intent(1));
  ledger.append(committed(1, { balance_after_minor: 650 }));
  ledger.appendIntent(intent(2));
  ledger.close();
  const pub = join(dir, 'kiosk.pub');
  writeFileSync(pub, key.publicKeyPem);
  return { path, dir, pub };
}

/** The `SEQ:HASH` a verified run prints for the operator to record. */
function recordedLast(stdout: string): string {
  const m = /^last entry (\d+:[0-9a-f]{64})/m.exec(stdout);
  if (m === null) throw new Error(`no last entry in ${stdout}`);
  return m[1]!;
}

describe('civicard ledger verify (CLI)', () => {
  it('exits 0 and says VERIFIED only against a trusted key, printing the last entry to record', async () => {
    const { path, pub } = ledgerFile();
    const result = await civicard('ledger', 'verify', '--db', path, '--public-key', pub);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^ledger VERIFIED: 3 entries; chain, signatures and money table checked against the trusted kiosk key\n/);
    expect(recordedLast(result.stdout)).toMatch(/^3:[0-9a-f]{64}$/);
    expect(result.stdout).toMatch(/^tail NOT ANCHORED: a truncated tail cannot be excluded without --expect-last SEQ:HASH recorded outside this ledger/m);
  }, CLI_TIMEOUT_MS);

  it('without a trusted key exits 2 and says the consistent chain is UNVERIFIED, and how to get the key', async () => {
    const { path } = ledgerFile();
    const result = await civicard('ledger', 'verify', '--db', path);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^ledger UNVERIFIED: 3 entries are internally consistent \(chain, signatures, money table\), but no trusted key was given/);
    expect(result.stdout).toMatch(/--public-key FILE: the kiosk’s enrolled public key \(PEM\)/);
    expect(result.stdout).not.toMatch(/^ledger VERIFIED/m);
  }, CLI_TIMEOUT_MS);

  it('a ledger really changed and re-signed with a new key: unverified without a key (exit 2), the key mismatch named with the original key (exit 1)', async () => {
    const { path, dir, pub } = ledgerFile();
    const forged = copyLedger(path, join(dir, 'forged.db'));
    resignWithNewKey(forged, loadOrCreateKioskKey(join(dir, 'forger.pem')), (seq, p) => (seq === 1 ? { ...p, amount_minor: 35, expected_balance_after_minor: 965 } : seq === 2 ? { ...p, balance_after_minor: 965 } : undefined));
    const exported = await civicard('ledger', 'export', '--db', forged);
    expect((JSON.parse(exported.stdout.split('\n')[0]!) as { payload: { amount_minor: number } }).payload.amount_minor).toBe(35);

    const unkeyed = await civicard('ledger', 'verify', '--db', forged);
    expect(unkeyed.code).toBe(2);
    expect(unkeyed.stdout).toMatch(/^ledger UNVERIFIED: 3 entries are internally consistent/);
    expect(unkeyed.stdout).not.toMatch(/^ledger VERIFIED/m);
    const keyed = await civicard('ledger', 'verify', '--db', forged, '--public-key', pub);
    expect(keyed.code).toBe(1);
    expect(keyed.stdout).toBe('ledger BROKEN: the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)\n');
  }, CLI_TIMEOUT_MS);

  it('a ledger really truncated (entries, outbox and money rows deleted): --expect-last names the missing tail (exit 1); without it, says a truncation cannot be excluded', async () => {
    const { path, dir, pub } = ledgerFile();
    const recorded = recordedLast((await civicard('ledger', 'verify', '--db', path, '--public-key', pub)).stdout);
    const cut = copyLedger(path, join(dir, 'cut.db'));
    truncateAfter(cut, 1);

    const anchored = await civicard('ledger', 'verify', '--db', cut, '--public-key', pub, '--expect-last', recorded);
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toBe(`ledger BROKEN at entry 2: entry 3 (hash ${recorded.slice(2, 18)}…), recorded as the last, is missing: the ledger ends at entry 1, so its tail was removed\n`);
    const unanchored = await civicard('ledger', 'verify', '--db', cut, '--public-key', pub);
    expect(unanchored.code).toBe(0);
    expect(unanchored.stdout).toMatch(/^ledger VERIFIED: 1 entry;/);
    expect(unanchored.stdout).toMatch(/^tail NOT ANCHORED: a truncated tail cannot be excluded/m);
    const intact = await civicard('ledger', 'verify', '--db', path, '--public-key', pub, '--expect-last', recorded);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(new RegExp(`^tail anchored: entry ${recorded.slice(0, 18)}…, recorded earlier, is still in the chain$`, 'm'));
  }, CLI_TIMEOUT_MS);

  it('names a money row that disagrees with the signed entries (exit 1)', async () => {
    const { path, pub } = ledgerFile();
    const db = unprotected(path);
    db.prepare('UPDATE money SET amount_minor = 1 WHERE seq = 2').run();
    db.close();
    const result = await civicard('ledger', 'verify', '--db', path, '--public-key', pub);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('ledger BROKEN at entry 2: the money table disagrees with the signed entries: money row 2 differs (amount_minor 1, signed 350)\n');
  }, CLI_TIMEOUT_MS);

  it('names the first bad entry and exits 1 for a tampered ledger, key or no key', async () => {
    const { path, pub } = ledgerFile();
    const db = new Database(path);
    db.exec('DROP TRIGGER entries_no_update');
    db.prepare(`UPDATE entries SET payload = replace(payload, '"amount_minor":350', '"amount_minor":35') WHERE seq = 3`).run();
    db.close();
    for (const args of [[], ['--public-key', pub]]) {
      const bad = await civicard('ledger', 'verify', '--db', path, ...args);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('ledger BROKEN at entry 3: hash does not match the entry\n');
    }
  }, CLI_TIMEOUT_MS);

  it('exits 1 when the ledger was signed by another key than the trusted one', async () => {
    const { path, dir } = ledgerFile();
    const other = loadOrCreateKioskKey(join(dir, 'other.pem'));
    writeFileSync(join(dir, 'other.pub'), other.publicKeyPem);
    const result = await civicard('ledger', 'verify', '--db', path, '--public-key', join(dir, 'other.pub'));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('ledger BROKEN: the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)\n');
  }, CLI_TIMEOUT_MS);

  it('--json: one object whose status matches the exit code', async () => {
    const { path, pub } = ledgerFile();
    const json = async (...args: string[]) => {
      const r = await civicard('ledger', 'verify', '--json', ...args);
      return { code: r.code, out: JSON.parse(r.stdout) as Record<string, unknown> };
    };
    const verified = await json('--db', path, '--public-key', pub);
    expect(verified).toMatchObject({ code: 0, out: { status: 'verified', entries: 3, key: 'trusted', tail: 'not_anchored', last: { seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    const last = verified.out.last as { seq: number; hash: string };
    expect(await json('--db', path, '--public-key', pub, '--expect-last', `${last.seq}:${last.hash}`)).toMatchObject({ code: 0, out: { status: 'verified', tail: 'anchored' } });
    expect(await json('--db', path)).toMatchObject({ code: 2, out: { status: 'unverified', entries: 3, key: 'stored', reason: expect.stringMatching(/no trusted key was given/) } });
    expect(await json('--db', path, '--expect-last', `4:${last.hash}`)).toMatchObject({ code: 1, out: { status: 'broken', first_bad: 4, reason: expect.stringMatching(/^entry 4 .* is missing/) } });
    expect(await json('--db', join(tempDir(), 'none.db'))).toMatchObject({ code: 2, out: { status: 'unchecked', reason: expect.stringMatching(/^no ledger at/) } });
  }, CLI_TIMEOUT_MS);

  it('exits 2 when there is nothing it can check, or --expect-last is not SEQ:HASH', async () => {
    const missing = await civicard('ledger', 'verify', '--db', join(tempDir(), 'none.db'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ledger UNCHECKED: no ledger at .*none\.db\n$/);
    const { path } = ledgerFile();
    const malformed = await civicard('ledger', 'verify', '--db', path, '--expect-last', '3');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^ledger UNCHECKED: --expect-last must be SEQ:HASH/);
  }, CLI_TIMEOUT_MS);
});

describe('civicard ledger export (CLI)', () => {
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
