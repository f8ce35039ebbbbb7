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
