// npx tsx test/bench/backoffice-ingest.ts — prints one JSON object: what a
// full sync batch (1,000 entries of a real kiosk ledger: 500 library-fine
// payments) costs the back office, and how much of it is checking signatures.
//  - ingest: ingestBatch into a fresh store (BENCH_DB, default sqlite::memory:;
//    a postgres://… URL works too) — shape, conflicts, verification, insert;
//  - verify_all_signatures: hash, link and own signature of every entry (what
//    ingest does, docs/sync-protocol.md "Why every new entry's own signature
//    is checked");
//  - verify_last_signature_only (baseline, same run): hash and link of every
//    entry, one signature (the newest), which the chain alone would allow.
// BENCH_ROUNDS sets the number of rounds (default 5); figures are medians.
import { enrollKiosk } from '../../src/backoffice/auth/enrollment';
import { openBackOfficeDb } from '../../src/backoffice/db/connect';
import { ingestBatch } from '../../src/backoffice/ingest';
import { entryHash, GENESIS_HASH, type EntryRow } from '../../src/ledger';
import { signatureVerifies } from '../../src/ledger/encoding';
import { testKiosk } from '../support/backoffice-fixtures';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DB = process.env.BENCH_DB ?? 'sqlite::memory:';

function ms(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

function chainOk(rows: readonly EntryRow[]): boolean {
  let prev = GENESIS_HASH;
  for (const r of rows) {
    if (r.prev_hash !== prev || entryHash({ seq: r.seq, entry_id: r.entry_id, at: r.at, payload_json: r.payload, prev_hash: r.prev_hash }) !== r.hash) return false;
    prev = r.hash;
  }
  return true;
}

async function main() {
  const kiosk = testKiosk();
  kiosk.pay(500);
  const rows = kiosk.rows();
  const ingest: number[] = [];
  const all: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const store = await openBackOfficeDb(DB);
    try {
      await enrollKiosk(store, { publicKeyPem: kiosk.key.publicKeyPem, by: 'bench' });
      let t = process.hrtime.bigint();
      const result = await ingestBatch(store, kiosk.kiosk_id, rows);
      ingest.push(ms(t));
      if (!result.ok || result.stored !== rows.length) throw new Error(`ingest refused the batch: ${JSON.stringify(result)}`);
      // Leave the store for the next round empty (PostgreSQL URLs are reused).
      await store.db.deleteFrom('entries').execute();
      await store.db.deleteFrom('kiosks').execute();

      t = process.hrtime.bigint();
      if (!chainOk(rows) || !rows.every((r) => signatureVerifies(r.hash, r.signature, kiosk.key.publicKey))) throw new Error('chain broken');
      all.push(ms(t));
      t = process.hrtime.bigint();
      const tip = rows[rows.length - 1]!;
      if (!chainOk(rows) || !signatureVerifies(tip.hash, tip.signature, kiosk.key.publicKey)) throw new Error('chain broken');
      last.push(ms(t));
    } finally {
      await store.close();
    }
  }
  const figures = {
    batch_entries: rows.length,
    store: DB.startsWith('sqlite:') ? DB : 'postgres',
    rounds: ROUNDS,
    ingest_ms: { what: 'ingestBatch of the whole batch into an empty store, median', value: round(median(ingest)) },
    verify_all_signatures_ms: { what: 'hash, link and own signature of every entry (what ingest checks), median', value: round(median(all)) },
    verify_last_signature_only_ms: { what: 'baseline: hash and link of every entry, one signature (the newest), median', value: round(median(last)) },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
