import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCivicard } from '../support/civicard-cli';
import { paymentTx, tempLedger } from '../support/ledger-fixtures';
import { copyLedger, truncateAfter, unprotected } from '../unit/ledger/verify-forgery';

/** Exit code and output; a failure's stderr follows its stdout. */
async function civicard(...args: string[]) {
  const r = await runCivicard(args);
  return { code: r.code, stdout: r.code === 0 ? r.stdout : r.stdout + r.stderr };
}

describe('civicard ledger', () => {
  it('verify says VERIFIED only against the enrolled key, names a removed tail and the first bad entry; export prints JSON lines', async () => {
    const { ledger, path, dir, key } = tempLedger();
    for (let n = 1; n <= 3; n++) await ledger.writeIntent(paymentTx(n));
    await ledger.recordCommitted(paymentTx(1), { balance_after_minor: 650, tmac_counter: 5, tmac_value: 'AB' });
    ledger.close();
    const pub = join(dir, 'kiosk.pub');
    writeFileSync(pub, key.publicKeyPem);

    const unkeyed = await civicard('ledger', 'verify', '--db', path);
    expect(unkeyed.code).toBe(2);
    expect(unkeyed.stdout).toMatch(/^ledger UNVERIFIED: 4 entries are internally consistent/);
    const good = await civicard('ledger', 'verify', '--db', path, '--public-key', pub);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ledger VERIFIED: 4 entries/);
    const recorded = /^last entry (4:[0-9a-f]{64})/m.exec(good.stdout)![1]!;

    const exported = await civicard('ledger', 'export', '--db', path);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seq, l.payload.kind])).toEqual([[1, 'intent'], [2, 'intent'], [3, 'intent'], [4, 'committed']]);

    const cut = copyLedger(path, join(dir, 'cut.db'));
    truncateAfter(cut, 2);
    const truncated = await civicard('ledger', 'verify', '--db', cut, '--public-key', pub, '--expect-last', recorded);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toMatch(/^ledger BROKEN at entry 3: entry 4 \(hash [0-9a-f]{16}…\), recorded as the last, is missing/);

    const db = unprotected(path);
    db.prepare("UPDATE entries SET payload = replace(payload, '\"amount_minor\":350', '\"amount_minor\":35') WHERE seq = 2").run();
    db.close();
    const bad = await civicard('ledger', 'verify', '--db', path, '--public-key', pub);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/ledger BROKEN at entry 2: hash does not match the entry/);
  });

  it('says so when there is no ledger file', async () => {
    const missing = await civicard('ledger', 'verify', '--db', '/nonexistent/ledger.db');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/^ledger UNCHECKED: no ledger at/);
  });
});
