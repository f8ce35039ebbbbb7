import { generateKeyPairSync } from 'node:crypto';
import { kioskIdOf } from '../../src/backoffice/auth/request-signing';
import { KioskLedger, type EntryRow, type KioskKey } from '../../src/ledger';
import { testTxId } from './card-fixtures';

// A real kiosk ledger (SQLite in memory, signed with a fresh kiosk key) with
// real payments in it, for the back-office tests: what a kiosk would upload.

export function newKioskKey(): KioskKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export interface TestKiosk {
  key: KioskKey;
  kiosk_id: string;
  ledger: KioskLedger;
  /** Appends `count` library-fine payments (intent + committed: two entries each), numbered from `from`. */
  pay(count: number, from?: number): void;
  /** The ledger's rows from `first` to `last` (inclusive), as stored: what sync uploads. */
  rows(first?: number, last?: number): EntryRow[];
}

/** A kiosk with its ledger in memory, or in the file `path`. */
export function testKiosk(key: KioskKey = newKioskKey(), txPrefix = '0190e000', path = ':memory:'): TestKiosk {
  const ledger = KioskLedger.open(path, key);
  let paid = 0;
  return {
    key,
    kiosk_id: kioskIdOf(key.publicKeyPem),
    ledger,
    pay(count, from = paid + 1) {
      for (let n = from; n < from + count; n++) {
        const tx_id = testTxId(n, txPrefix);
        const before = 1_000_000 - 350 * (n - 1);
        ledger.appendAll([
          {
            kind: 'intent',
            service: 'library_fine',
            tx_id,
            card_ref: 'c0ffee00c0ffee00c0ffee00c0ffee00',
            amount_minor: 350,
            balance_before_minor: before,
            expected_balance_after_minor: before - 350,
            tmac_counter_before: n,
            service_ref: `fixed:library_fine:F-${n}`,
            reverses_tx_id: null,
            shift_id: null,
          },
        ]);
        ledger.append({ kind: 'committed', tx_id, balance_after_minor: before - 350, tmac_counter: n + 1, tmac_value: 'ab'.repeat(8) });
      }
      paid = Math.max(paid, from + count - 1);
    },
    rows(first = 1, last = Number.MAX_SAFE_INTEGER) {
      return ledger.db.prepare('SELECT * FROM entries WHERE seq BETWEEN ? AND ? ORDER BY seq').all(first, last) as EntryRow[];
    },
  };
}
