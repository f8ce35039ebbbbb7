// npm run bench:kiosk — prints one JSON object:
//  - durable single-entry ledger appends/s, against raw better-sqlite3 inserts
//    with the same WAL + synchronous=FULL settings measured in the same run;
//  - tap → receipt bytes sent, p50/p95, through pcscd + vpcd and a pty printer;
//  - kiosk RSS after 1,000 and after 10,000 simulated transactions (in memory).
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../src/card/keys/keyset-file';
import { residentVisit } from '../../src/kiosk/demo/resident-visit';
import { startSimKiosk } from '../../src/kiosk/demo/sim-kiosk';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { startResidentKiosk } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../../src/kiosk/services/fixed-fee';
import { KioskLedger, loadOrCreateKioskKey } from '../../src/ledger';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { issuedSimCard } from '../support/card-fixtures';
import { paymentTx } from '../support/ledger-fixtures';

const APPENDS = Number(process.env.BENCH_APPENDS ?? 2_000);
const TAPS = Number(process.env.BENCH_TAPS ?? 100);
const RSS_AT = (process.env.BENCH_RSS_AT ?? '1000,10000').split(',').map(Number);

function percentiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100;
  return { n: s.length, p50_ms: at(50), p95_ms: at(95) };
}

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round((process.memoryUsage().rss / 1_048_576) * 10) / 10;
}

async function ledgerAppends() {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-bench-ledger-'));
  const raw = new Database(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const insert = raw.prepare('INSERT INTO t (payload) VALUES (?)');
  const payload = JSON.stringify(paymentTx(1));
  let t0 = performance.now();
  for (let i = 0; i < APPENDS; i++) insert.run(payload); // one autocommit transaction per row, like the ledger
  const rawSeconds = (performance.now() - t0) / 1000;
  raw.close();

  const ledger = KioskLedger.open(join(dir, 'ledger.db'), loadOrCreateKioskKey(join(dir, 'key.pem')));
  t0 = performance.now();
  for (let i = 1; i <= APPENDS; i++) await ledger.writeIntent(paymentTx(i));
  const ledgerSeconds = (performance.now() - t0) / 1000;
  ledger.close();
  const per_s = (n: number, s: number) => Math.round(n / s);
  return {
    appends: APPENDS,
    ledger_appends_per_s: per_s(APPENDS, ledgerSeconds),
    raw_full_inserts_per_s: per_s(APPENDS, rawSeconds),
    ledger_vs_raw: Math.round((rawSeconds / ledgerSeconds) * 100) / 100,
  };
}

async function tapToReceipt() {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-bench-tap-'));
  const kiosk = await startSimKiosk({ dir, pcscd: true });
  try {
    const { card } = await kiosk.issueCard('bench', 50_000);
    const samples: number[] = [];
    for (let i = 0; i < TAPS; i++) {
      const printed = kiosk.printerSim.receipts.length;
      const t0 = performance.now();
      const hand = kiosk.counter.hand(card);
      const visit = residentVisit(kiosk.actor, hand, { kind: 'parking', reference: `SPACE-${i}` });
      await kiosk.printerSim.waitForReceipts(printed + 1, 30_000);
      samples.push(performance.now() - t0);
      await visit;
    }
    return { transport: kiosk.counter.kind, ...percentiles(samples) };
  } finally {
    await kiosk.stop();
  }
}

async function rssAfterTransactions() {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-bench-rss-'));
  const keysPath = join(dir, 'keys.json');
  const keyset = generateTestKeyset();
  writeKeysetFile(keysPath, keyset);
  const { sim } = await issuedSimCard(50_000, keyset.keys);
  const reader = new FakeCardReader();
  const printerSim = new SimPrinterTransport();
  const ledger = KioskLedger.open(join(dir, 'ledger.db'), loadOrCreateKioskKey(join(dir, 'key.pem')));
  const station = new CardStation({ reader, vault: loadKeyVault(keysPath, { simulated: true, roles: ['debit', 'read'] }), terminal_id: 1, card_ref_key: Buffer.alloc(32, 1) });
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer: new EscPosPrinter(printerSim),
    services: [new FixedFeeService('parking', 1)],
    risk: { policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: 10_000_000 }, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-BENCH', location_label: 'Bench', time_zone: 'UTC', country: 'US', currency: 'USD' },
    language: () => 'en',
  });
  await waitFor(actor, (s) => s.matches('idle'));
  const hand = { present: async () => reader.insertCard(sim), withdraw: async () => reader.removeCard(), isPresent: () => reader.status().status === 'card_present' };
  const rss: Record<string, number> = { start_mib: rssMiB() };
  const t0 = performance.now();
  for (let n = 1; n <= RSS_AT.at(-1)!; n++) {
    const v = await residentVisit(actor, hand, { kind: 'parking', reference: 'S-1' });
    if (!v.paid) throw new Error(`transaction ${n} was not paid: ${v.notices.join(', ')}`);
    // The simulators keep everything for tests to inspect; what is measured here is the kiosk.
    reader.clearRecording();
    printerSim.core.forgetReceipts();
    printerSim.clearRecording();
    if (RSS_AT.includes(n)) {
      rss[`after_${n}_mib`] = rssMiB();
      rss[`js_heap_after_${n}_mib`] = Math.round((process.memoryUsage().heapUsed / 1_048_576) * 10) / 10;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  actor.stop();
  ledger.close();
  return { ...rss, transactions_per_s_in_memory: Math.round(RSS_AT.at(-1)! / seconds) };
}

async function main() {
  const ledger = await ledgerAppends();
  const tap = await tapToReceipt();
  const rss = await rssAfterTransactions();
  process.stdout.write(`${JSON.stringify({ bench: 'kiosk', node: process.version, ledger, tap_to_receipt_bytes_sent: tap, rss }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:kiosk failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
