import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaymentTx } from '../../src/kiosk/machines/contracts';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { testTxId } from './card-fixtures';

export function tempLedger(name = 'ledger') {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-ledger-'));
  const path = join(dir, `${name}.db`);
  const key = loadOrCreateKioskKey(join(dir, 'kiosk-key.pem'));
  return { dir, path, key, ledger: RuntimeLedger.open(path, key) };
}

export function paymentTx(n: number, overrides: Partial<PaymentTx> = {}): PaymentTx {
  return {
    tx_id: testTxId(n, '0190e000'),
    kind: 'library_fine',
    direction: 'debit',
    card_ref: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    masked_serial: '**** 1234',
    amount_minor: 350,
    balance_before_minor: 1_000,
    expected_balance_after_minor: 650,
    tmac_counter_before: 4,
    quote_ref: 'fixed:library_fine:F-1',
    reverses_tx_id: null,
    shift_id: null,
    staff_ref: null,
    authorised_by: null,
    ...overrides,
  };
}

/**
 * `count` library-fine payments on one card, written as the kiosk runtime
 * writes them (intent, committed + service post in one write, service answer):
 * four entries each, every one through the ledger's rules. Returns the last seq.
 */
export async function appendPayments(ledger: RuntimeLedger, count: number, opts: { first?: number; card_ref?: string } = {}): Promise<number> {
  const first = opts.first ?? 1;
  for (let n = first; n < first + count; n += 1) {
    const before = 1_000_000 - 350 * (n - 1);
    const tx = paymentTx(n, { card_ref: opts.card_ref ?? 'c0ffee00c0ffee00c0ffee00c0ffee00', balance_before_minor: before, expected_balance_after_minor: before - 350, tmac_counter_before: 2 * n, quote_ref: `fixed:library_fine:F-${n}` });
    const steps = [
      await ledger.writeIntent(tx),
      await ledger.recordCommittedAndPost(tx, { balance_after_minor: before - 350, tmac_counter: 2 * n + 1, tmac_value: n.toString(16).padStart(16, '0') }),
      await ledger.recordServiceResult(tx, 'accepted'),
    ];
    const failed = steps.find((s) => !s.ok);
    if (failed) throw new Error(`payment ${n} was not recorded: ${JSON.stringify(failed)} (${ledger.lastWriteError?.message})`);
  }
  return ledger.lastEntry()?.seq ?? 0;
}
