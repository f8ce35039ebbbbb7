import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { paymentTx, tempLedger } from '../support/ledger-fixtures';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');

async function civicard(...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

describe('civicard ledger', () => {
  it('verify accepts an intact ledger and names the first bad entry of a tampered one; export prints JSON lines', async () => {
    const { ledger, path } = tempLedger();
    for (let n = 1; n <= 3; n++) await ledger.writeIntent(paymentTx(n));
    await ledger.recordCommitted(paymentTx(1), { balance_after_minor: 650, tmac_counter: 5, tmac_value: 'AB' });

    const good = await civicard('ledger', 'verify', '--db', path);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ledger OK: 4 entries/);

    const exported = await civicard('ledger', 'export', '--db', path);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seq, l.payload.kind])).toEqual([[1, 'intent'], [2, 'intent'], [3, 'intent'], [4, 'committed']]);

    ledger.db.exec('DROP TRIGGER entries_no_update');
    ledger.db.prepare("UPDATE entries SET payload = replace(payload, '\"amount_minor\":350', '\"amount_minor\":35') WHERE seq = 2").run();
    ledger.close();
    const bad = await civicard('ledger', 'verify', '--db', path);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/ledger BROKEN at entry 2: hash does not match the entry/);
  });

  it('says so when there is no ledger file', async () => {
    const missing = await civicard('ledger', 'verify', '--db', '/nonexistent/ledger.db');
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toMatch(/no ledger at/);
  });
});
