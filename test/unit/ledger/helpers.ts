import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaymentTx } from '../../../src/kiosk/machines/contracts';
import { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey, openLedgerDatabase, type IntentInput, type KioskKey, type PayloadInput } from '../../../src/ledger';

// Fixtures for the ledger tests: temp ledgers, well-formed payloads, a clock.

export const CARD_A = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const CARD_B = 'b0bab0bab0bab0bab0bab0bab0bab0ba';
export const EVIDENCE = { balance_after_minor: 650, tmac_counter: 5, tmac_value: '0011223344556677' };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'civicard-ledger-'));
}

let sharedKey: KioskKey | undefined;
/** One kiosk key for tests that do not care which. */
export function testKey(): KioskKey {
  sharedKey ??= loadOrCreateKioskKey(join(tempDir(), 'kiosk-key.pem'));
  return sharedKey;
}

/** A stepping clock: each reading is one second after the last. */
export function steppingClock(start = Date.parse('2026-03-02T09:00:00.000Z')): () => Date {
  let t = start - 1_000;
  return () => new Date((t += 1_000));
}

export function fileLedger(opts: { key?: KioskKey; now?: () => Date } = {}) {
  const dir = tempDir();
  const path = join(dir, 'ledger.db');
  const key = opts.key ?? testKey();
  return { dir, path, key, ledger: RuntimeLedger.open(path, key, opts.now ?? steppingClock()) };
}

// The ledgers are the kiosk runtime's (the ledger with the kiosk's port on top), so one
// fixture serves the ledger tests and the runtime tests.

/** In-memory ledger: same schema, rules and signatures, no fsync (for many-run property tests). */
export function memoryLedger(now: () => Date = steppingClock()): RuntimeLedger {
  return new RuntimeLedger(openLedgerDatabase(':memory:'), testKey(), now);
}

export function txId(n: number): string {
  return `0190e000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}
export const SHIFT_1 = '0190e000-0000-7000-8000-5f0000000001';

/** Any field of either intent kind (the helper keeps the balance arithmetic right unless told otherwise). */
export type IntentOverrides = { [K in keyof IntentInput]?: IntentInput[K] };

export function intent(n: number, over: IntentOverrides = {}): IntentInput {
  const amount_minor = over.amount_minor ?? 350;
  const balance_before_minor = over.balance_before_minor ?? 1_000;
  const credit = over.kind === 'credit_intent';
  return {
    kind: 'intent',
    tx_id: txId(n),
    service: credit ? 'top_up' : 'library_fine',
    card_ref: CARD_A,
    amount_minor,
    balance_before_minor,
    expected_balance_after_minor: credit ? balance_before_minor + amount_minor : balance_before_minor - amount_minor,
    // Counters a step apart per transaction, as if other stations used the card in between.
    tmac_counter_before: 10 * n,
    service_ref: credit ? null : `fixed:library_fine:F-${n}`,
    reverses_tx_id: null,
    shift_id: null,
    ...over,
  } as IntentInput;
}

export function committed(n: number, over: Partial<typeof EVIDENCE> = {}): PayloadInput {
  return { kind: 'committed', tx_id: txId(n), ...EVIDENCE, tmac_counter: 10 * n + 1, ...over };
}

export function creditCommitted(n: number, over: Partial<typeof EVIDENCE> = {}): PayloadInput {
  return { kind: 'credit_committed', tx_id: txId(n), ...EVIDENCE, tmac_counter: 10 * n + 1, ...over };
}

export function paymentTx(n: number, over: Partial<PaymentTx> = {}): PaymentTx {
  return {
    tx_id: txId(n),
    kind: 'library_fine',
    direction: 'debit',
    card_ref: CARD_A,
    masked_serial: '**** 1234',
    amount_minor: 350,
    balance_before_minor: 1_000,
    expected_balance_after_minor: 650,
    tmac_counter_before: 4,
    quote_ref: `fixed:library_fine:F-${n}`,
    reverses_tx_id: null,
    shift_id: null,
    staff_ref: null,
    authorised_by: null,
    ...over,
  };
}
