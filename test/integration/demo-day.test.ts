import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');

describe('civicard demo --out DIR (through pcscd)', () => {
  it('runs the scripted day and leaves a ledger that verifies and readable receipts without personal data', async () => {
    const out = mkdtempSync(join(tmpdir(), 'civicard-demo-day-'));
    const { stdout } = await run(process.execPath, [CLI, 'demo', '--out', out], { timeout: 120_000 });
    expect(stdout).toMatch(/cards via pcscd \+ vpcd/);
    expect(stdout).toMatch(/At the Lot 4 booth \(the second vpcd reader\) an attendant signs in/);
    expect(stdout).toMatch(/supervisor taps their card, enters their PIN and voids it/);
    expect(stdout).toMatch(/blind count of \$84\.50; the ledger expected \$85\.00: short \$0\.50/);
    expect(stdout).toMatch(/pays a \$3\.50 library fine: paid/);
    expect(stdout).toMatch(/citation with \$5\.00 on the card: not charged \(payment\.insufficient_funds\)/);
    expect(stdout).toMatch(/pulls the card just as it commits: paid .*tapped again 1×/);
    expect(stdout).toMatch(/DUPLICATE: printed/);
    expect(stdout).toMatch(/open intents: 0/);

    const verify = await run(process.execPath, [CLI, 'ledger', 'verify', '--db', join(out, 'kiosk.db'), '--public-key', join(out, 'kiosk-key.pem')]);
    expect(verify.stdout).toMatch(/^ledger VERIFIED: 17 entries/);
    const booth = await run(process.execPath, [CLI, 'ledger', 'verify', '--db', join(out, 'attendant.db'), '--public-key', join(out, 'attendant-key.pem')]);
    expect(booth.stdout).toMatch(/^ledger VERIFIED: 12 entries/);
    // The torn payment: uncertain when the card left, settled from the card when it came back.
    const kinds = (await run(process.execPath, [CLI, 'ledger', 'export', '--db', join(out, 'kiosk.db')])).stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { payload: { kind: string } }).payload.kind);
    // Each payment's service is told through the ledger: a post before, its answer after.
    const told = ['service_post', 'service_result'];
    expect(kinds).toEqual(['intent', 'committed', ...told, 'intent', 'committed', ...told, 'intent', 'uncertain', 'settled', ...told, 'intent', 'committed', ...told]);

    const texts = readdirSync(join(out, 'receipts')).filter((f) => f.endsWith('.txt')).sort().map((f) => readFileSync(join(out, 'receipts', f), 'utf8'));
    expect(texts).toHaveLength(4);
    expect(texts[0]).toMatch(/Multa de biblioteca/);
    expect(texts[0]).toMatch(/Transacción/);
    expect(texts[1]).toMatch(/Serviço +Estacionamento/);
    expect(texts[1]).toMatch(/Cartão/);
    expect(texts[3]).toMatch(/D U P L I C A D O/);
    for (const text of texts) {
      expect(text).not.toMatch(/Resident/);
      expect(text).toMatch(/\*\*\*\* \d{4}/);
    }
    const exported = await run(process.execPath, [CLI, 'ledger', 'export', '--db', join(out, 'kiosk.db')]);
    expect(exported.stdout).not.toMatch(/Resident/);
  }, 180_000);
});
