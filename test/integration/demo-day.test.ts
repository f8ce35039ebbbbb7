import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
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
    expect(stdout).toMatch(/the library's ILS answers SIP2 on 127\.0\.0\.1:\d+, parking is priced from .*chicago-downtown\.json/);
    expect(stdout).toMatch(/pays the fines on a library card .*: paid \$5\.25 \(tx /);
    // Priced at the story's hour today: metered Monday to Saturday, $1/h on Sundays.
    expect(stdout).toMatch(/chooses an hour of parking in zone 101 by plate: paid \$(3|1)\.00 \(tx /);
    expect(stdout).toMatch(/citation with \$5\.00 on the card: not charged \(payment\.insufficient_funds\)/);
    expect(stdout).toMatch(/pulls the card just as it commits: paid .*tapped again 1×/);
    // One payment of each kind refused by its service after the debit, and credited back to the card.
    expect(stdout).toMatch(/damaged-item fee.*: the card paid \$10\.00 \(tx .*\), the service refused it, and the kiosk credited it back to the card\./);
    expect(stdout).toMatch(/space 12.*confirms 12 minutes later: the card paid \$0\.(75|25) \(tx .*\), the service refused it, and the kiosk credited it back to the card\./);
    expect(stdout).toMatch(/DUPLICATE: printed/);
    expect(stdout).toMatch(/open intents: 0/);

    const verify = await run(process.execPath, [CLI, 'ledger', 'verify', '--db', join(out, 'kiosk.db'), '--public-key', join(out, 'kiosk-key.pem')]);
    expect(verify.stdout).toMatch(/^ledger VERIFIED: 29 entries/);
    const booth = await run(process.execPath, [CLI, 'ledger', 'verify', '--db', join(out, 'attendant.db'), '--public-key', join(out, 'attendant-key.pem')]);
    expect(booth.stdout).toMatch(/^ledger VERIFIED: 12 entries/);
    // The torn payment: uncertain when the card left, settled from the card when it came back.
    const kinds = (await run(process.execPath, [CLI, 'ledger', 'export', '--db', join(out, 'kiosk.db')])).stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { payload: { kind: string } }).payload.kind);
    // Each payment's service is told through the ledger: a post before, its answer after.
    const told = ['service_post', 'service_result'];
    const creditedBack = ['credit_intent', 'credit_committed'];
    expect(kinds).toEqual([
      ...['intent', 'committed', ...told], // fines, through the ILS
      ...['intent', 'committed', ...told], // parking
      ...['intent', 'uncertain', 'settled', ...told], // the torn parking payment
      ...['intent', 'committed', ...told, ...creditedBack], // the fine the ILS refused
      ...['intent', 'committed', ...told, ...creditedBack], // the stale parking quote
      ...['intent', 'committed', ...told], // parking, paper out
    ]);

    const texts = readdirSync(join(out, 'receipts')).filter((f) => f.endsWith('.txt')).sort().map((f) => readFileSync(join(out, 'receipts', f), 'utf8'));
    expect(texts).toHaveLength(6);
    expect(texts[0]).toMatch(/Multa de biblioteca/);
    expect(texts[0]).toMatch(/Transacción/);
    expect(texts[1]).toMatch(/Serviço +Estacionamento/);
    expect(texts[1]).toMatch(/Cartão/);
    // Parking's own lines: the zone, the expiry and the plate's last three characters only.
    expect(texts[1]).toMatch(/Zona +101/);
    expect(texts[1]).toMatch(/Válido até +\d{2}\/\d{2}\/\d{4} 11:25/);
    expect(texts[1]).toMatch(/Placa \(final\) +231/);
    expect(texts[3]).toMatch(/Pago devuelto a la tarjeta/);
    expect(texts[4]).toMatch(/Payment returned to card/);
    expect(texts[5]).toMatch(/D U P L I C A T E/);
    // No name, plate or library card number in a receipt or in the ledger, which is kept for good.
    const personal = /Resident|KAB2231|7TRK118|29000000000001|29000000000003/;
    for (const text of texts) {
      expect(text).not.toMatch(personal);
      expect(text).toMatch(/\*\*\*\* \d{4}/);
    }
    const exported = await run(process.execPath, [CLI, 'ledger', 'export', '--db', join(out, 'kiosk.db')]);
    expect(exported.stdout).not.toMatch(personal);
    // The plates wait apart (0600) until the back office has the sessions.
    expect(statSync(join(out, 'parking-sessions.json')).mode & 0o777).toBe(0o600);

    // The night: both ledgers synced to the embedded back office and reconciled.
    for (const ledger of ['kiosk.db', 'attendant.db']) {
      const db = new Database(join(out, ledger), { readonly: true });
      try {
        expect(db.prepare('SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL').pluck().get(), `${ledger} not fully acknowledged`).toBe(0);
        expect(db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    }
    expect(stdout).toMatch(/Night: the back office \(SQLite .*backoffice\.db\) on http:\/\/127\.0\.0\.1:\d+ enrolls the East Branch kiosk and the Lot 4 booth; their ledgers sync: 29 and 12 entries acknowledged, 0 pending/);
    const summary = JSON.parse(readFileSync(join(out, 'reconciliation', 'summary.json'), 'utf8')) as {
      liability: { holds: boolean };
      exceptions: { kind: string; detail: { over_short_minor?: number } }[];
    };
    expect(summary.liability.holds).toBe(true);
    const short = summary.exceptions.filter((e) => e.kind === 'shift_short');
    expect(short).toHaveLength(1);
    expect(short[0]!.detail.over_short_minor).toBe(-50);
    expect(stdout).toMatch(/liability: .* = \$[\d.,]+; the cards hold \$[\d.,]+ ✓/);
    expect(stdout).toMatch(/WARNING shift_short: The cash shift of staff-17 at the Lot 4 booth closed short by 50: counted 8,450, expected 8,500/);
    expect(stdout).toMatch(/Reports: .*reconciliation.*summary\.json/);
  }, 180_000);
});
