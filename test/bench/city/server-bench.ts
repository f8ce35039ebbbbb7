import { createHash } from 'node:crypto';
import { cpus, freemem, totalmem } from 'node:os';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeDialect, type BackOfficeStore } from '../../../src/backoffice/db/connect';
import { foldNewEntries } from '../../../src/backoffice/reconcile/fold';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import { ingestBatch, insertEntries, MAX_BATCH_ENTRIES, toStored } from '../../../src/backoffice/ingest';
import { GENESIS_HASH, type EntryRow } from '../../../src/ledger';
import { signatureVerifies } from '../../../src/ledger/encoding';
import { checkEntryRow } from '../../../src/ledger/verify';
import { SignaturePool } from '../../../src/backoffice/signature-pool';
import { startPostgres, type TestPostgres } from '../../support/postgres';
import { DEFAULT_START_DATE, openCity, type City, type CityParams } from './generate';

// bench:server's work (test/bench/server.ts is the command line): a city's
// kiosks synced into the back office, on SQLite and on PostgreSQL.
//
//  - baseline: the same rows, already in stored form, inserted by the same
//    insert code in the same batches and transactions, with no verification
//    and no look-ups: what the database alone costs;
//  - ingest: ingestBatch, batches of ≤ 1,000 entries per kiosk in seq order,
//    interleaved across kiosks (kiosk 1's first batch, kiosk 2's first, …)
//    day by day, like real syncs;
//  - replay: every batch sent again; nothing may change (entries count and a
//    checksum over (kiosk_id, seq, hash), sync evidence, exceptions);
//  - reconciliation of the last day and of every day, then the city grows
//    (more days, same kiosks and cards) and the same is timed again.

export interface ServerBenchOptions {
  entries: number;
  kiosks: number;
  cards: number;
  days: number;
  grow: number[];
  dbs: BackOfficeDialect[];
  seed: number;
  /** Where SQLite files, reconciliation output and (unless null) the city cache go. */
  out_dir: string;
  /** bench-out/city, or null to keep the city in memory (quick runs). */
  cache_dir: string | null;
  /** Reconcile every day at each size (the last day is always reconciled). */
  all_days: boolean;
  log: (line: string) => void;
}

const TIME_ZONE = 'UTC';
/** The secondary indexes of entries (migrations.ts) that serve reconciliation, not ingest. */
const RECONCILIATION_INDEXES = ['entries_card_time', 'entries_tx', 'entries_kind_time'] as const;

const now = () => performance.now();
const rate = (n: number, ms: number) => (ms === 0 ? null : Math.round((n * 1000) / ms));
const secs = (ms: number) => Math.round(ms) / 1000;

/** A day's batches as kiosks send them: ≤ 1,000 consecutive entries per kiosk, round robin across kiosks. */
export function batchesOf(city: City, day: number): { kiosk_id: string; rows: EntryRow[] }[] {
  const perKiosk = city.day(day).kiosks.map((k) => {
    const out: EntryRow[][] = [];
    for (let i = 0; i < k.rows.length; i += MAX_BATCH_ENTRIES) out.push(k.rows.slice(i, i + MAX_BATCH_ENTRIES));
    return { kiosk_id: city.kiosks[k.kiosk]!.kiosk_id, batches: out };
  });
  const out: { kiosk_id: string; rows: EntryRow[] }[] = [];
  for (let round = 0; perKiosk.some((k) => k.batches.length > round); round++) {
    for (const k of perKiosk) if (k.batches.length > round) out.push({ kiosk_id: k.kiosk_id, rows: k.batches[round]! });
  }
  return out;
}

interface DbHarness {
  fresh(name: string): Promise<BackOfficeStore>;
  stop(): Promise<void>;
}

async function harness(dialect: BackOfficeDialect, out_dir: string): Promise<DbHarness> {
  if (dialect === 'sqlite') {
    const files: string[] = [];
    return {
      async fresh(name) {
        const file = join(out_dir, `bench-server-${name}.db`);
        for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
        files.push(file);
        return openBackOfficeDb(`sqlite:${file}`);
      },
      async stop() {
        for (const file of files) for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      },
    };
  }
  const server: TestPostgres = await startPostgres();
  return { fresh: async () => openBackOfficeDb(await server.createDatabase()), stop: () => server.stop() };
}

async function versionOf(store: BackOfficeStore): Promise<string> {
  const q = store.dialect === 'sqlite' ? sql<{ v: string }>`SELECT 'SQLite ' || sqlite_version() AS v` : sql<{ v: string }>`SELECT version() AS v`;
  return (await q.execute(store.db)).rows[0]!.v;
}

async function enrollAll(store: BackOfficeStore, city: City): Promise<void> {
  for (const k of city.kiosks) await enrollKiosk(store, { publicKeyPem: k.key.publicKeyPem, name: `${k.attendant ? 'Attendant' : 'Kiosk'} ${k.index}`, by: 'bench' });
}

/** Count and SHA-256 over (kiosk_id, seq, hash) in key order, plus the evidence and exception counts. */
export async function storeChecksum(store: BackOfficeStore): Promise<{ entries: number; checksum: string; sync_evidence: number; exceptions: number }> {
  const h = createHash('sha256');
  let n = 0;
  let after: { kiosk_id: string; seq: number } | null = null;
  for (;;) {
    const from: { kiosk_id: string; seq: number } | null = after;
    const page: { kiosk_id: string; seq: number; hash: string }[] = await store.db
      .selectFrom('entries')
      .select(['kiosk_id', 'seq', 'hash'])
      .$if(from !== null, (q) => q.where((eb) => eb.or([eb('kiosk_id', '>', from!.kiosk_id), eb.and([eb('kiosk_id', '=', from!.kiosk_id), eb('seq', '>', from!.seq)])])))
      .orderBy('kiosk_id')
      .orderBy('seq')
      .limit(50_000)
      .execute();
    for (const r of page) h.update(`${r.kiosk_id}:${r.seq}:${r.hash}\n`);
    n += page.length;
    if (page.length < 50_000) break;
    after = page[page.length - 1]!;
  }
  const count = async (table: 'sync_evidence' | 'exceptions') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { entries: n, checksum: h.digest('hex'), sync_evidence: await count('sync_evidence'), exceptions: await count('exceptions') };
}

async function ingestDays(store: BackOfficeStore, city: City, from: number, to: number): Promise<{ entries: number; batches: number; ms: number }> {
  let entries = 0;
  let batches = 0;
  let ms = 0;
  for (let d = from; d < to; d++) {
    for (const b of batchesOf(city, d)) {
      const t = now();
      const r = await ingestBatch(store, b.kiosk_id, b.rows);
      ms += now() - t;
      if (!r.ok || r.stored !== b.rows.length) throw new Error(`ingest refused a genuine batch (kiosk ${b.kiosk_id}, seq ${b.rows[0]!.seq}): ${JSON.stringify(r)}`);
      entries += b.rows.length;
      batches++;
    }
  }
  return { entries, batches, ms };
}

async function baselineDays(store: BackOfficeStore, city: City, days: number): Promise<{ entries: number; ms: number }> {
  let entries = 0;
  let ms = 0;
  const received_at = new Date().toISOString();
  for (let d = 0; d < days; d++) {
    const batches = batchesOf(city, d).map((b) => b.rows.map((r) => toStored(b.kiosk_id, r, received_at)));
    for (const rows of batches) {
      const t = now();
      await store.db.transaction().execute((trx) => insertEntries(trx, rows));
      ms += now() - t;
      entries += rows.length;
    }
  }
  return { entries, ms };
}

async function replayDays(store: BackOfficeStore, city: City, days: number): Promise<{ batches: number; ms: number; stored: number }> {
  let batches = 0;
  let stored = 0;
  let ms = 0;
  for (let d = 0; d < days; d++) {
    for (const b of batchesOf(city, d)) {
      const t = now();
      const r = await ingestBatch(store, b.kiosk_id, b.rows);
      ms += now() - t;
      if (!r.ok || r.duplicates !== b.rows.length) throw new Error(`replay of a held batch was not all duplicates: ${JSON.stringify(r)}`);
      stored += r.stored;
      batches++;
    }
  }
  return { batches, ms, stored };
}

/**
 * Day 0's signatures alone, no database: on this thread, then split over a
 * pool of two worker threads (signature-pool.ts), in the same run.
 */
async function signaturesOnly(city: City) {
  const batches = batchesOf(city, 0).map((b) => ({ pem: city.kiosks.find((k) => k.kiosk_id === b.kiosk_id)!.key.publicKeyPem, key: city.kiosks.find((k) => k.kiosk_id === b.kiosk_id)!.key.publicKey, rows: b.rows }));
  const n = batches.reduce((a, b) => a + b.rows.length, 0);
  let t = now();
  for (const b of batches) for (const r of b.rows) if (!signatureVerifies(r.hash, r.signature, b.key)) throw new Error(`generated entry ${r.seq} has a bad signature`);
  const one = now() - t;
  const pool = new SignaturePool(2);
  try {
    t = now();
    for (const b of batches) if ((await pool.firstBad(b.pem, b.rows)) !== -1) throw new Error('generated batch has a bad signature');
  } finally {
    await pool.close();
  }
  const two = now() - t;
  return { what: 'Ed25519 checks of day 0, no database: on the event loop, then 2 worker threads (ingest uses the pool only with CIVICARD_SIGNATURE_THREADS)', signatures: n, one_thread_per_s: rate(n, one), pool_2_threads_per_s: rate(n, two) };
}

/** Hash, link, signature and payload of every entry of day 0, no database: what verification alone costs a core. */
function verifyOnly(city: City): { entries: number; entries_per_s: number | null } {
  let n = 0;
  const t = now();
  for (const k of city.day(0).kiosks) {
    const key = city.kiosks[k.kiosk]!.key.publicKey;
    let prev = GENESIS_HASH;
    for (const r of k.rows) {
      const bad = checkEntryRow(r, prev, key);
      if (bad !== null) throw new Error(`generated entry ${r.seq} fails verification: ${bad}`);
      prev = r.hash;
      n++;
    }
  }
  return { entries: n, entries_per_s: rate(n, now() - t) };
}

/**
 * Days [from, to) ingested as a server receives them, with the card book
 * folded before the last day arrives (what earlier nights would have done, in
 * one go, timed apart), so the last day's reconciliation folds just that day.
 */
async function ingestThenFold(store: BackOfficeStore, city: City, from: number, to: number) {
  const early = await ingestDays(store, city, from, to - 1);
  const t = now();
  const folded = await foldNewEntries(store.db, store.dialect === 'postgres');
  const catch_up_fold = { what: 'the days before the last folded into the card book at once (a server folds each night\'s new entries)', entries: folded.entries, seconds: secs(now() - t) };
  const last = await ingestDays(store, city, to - 1, to);
  return { ingest: { entries: early.entries + last.entries, batches: early.batches + last.batches, ms: early.ms + last.ms }, catch_up_fold };
}

async function reconcileTimes(store: BackOfficeStore, city: City, days: number, all: boolean, out_dir: string) {
  const dates = Array.from({ length: days }, (_, d) => city.day(d).date);
  const one = async (date: string) => {
    const t = now();
    const summary = await reconcileDay(store, { date, time_zone: TIME_ZONE, out: join(out_dir, 'reconcile', store.dialect, date) });
    return { ms: now() - t, summary };
  };
  const last = await one(dates[dates.length - 1]!);
  let all_days_s: number | null = null;
  if (all) {
    let ms = 0;
    for (const date of dates) ms += (await one(date)).ms;
    all_days_s = secs(ms);
  }
  const s = last.summary;
  return {
    last_day: dates[dates.length - 1]!,
    last_day_s: secs(last.ms),
    last_day_check_ms: s.timings_ms,
    last_day_card_transactions: s.totals.transactions,
    last_day_liability_holds: s.liability.holds,
    last_day_exceptions: s.exception_counts,
    all_days_s,
  };
}

export async function runServerBench(o: ServerBenchOptions) {
  mkdirSync(o.out_dir, { recursive: true });
  const entries_per_day = Math.round(o.entries / o.days);
  const params: CityParams = { kiosks: o.kiosks, cards: o.cards, entries_per_day, issue_days: o.days, seed: o.seed, start_date: DEFAULT_START_DATE };
  const city = openCity(params, o.cache_dir);
  const sizes = [o.days, ...o.grow.map((g) => Math.max(o.days + 1, Math.round(g / entries_per_day)))];
  const t0 = now();
  let total = 0;
  for (let d = 0; d < Math.max(...sizes); d++) total += city.day(d).entries;
  o.log(`city ready: ${total} entries over ${Math.max(...sizes)} days (${secs(now() - t0)} s, ${Math.round(city.generated_s)} s generating)`);
  const entriesUpTo = (days: number) => Array.from({ length: days }, (_, d) => city.day(d).entries).reduce((a, b) => a + b, 0);
  const verify_only = verifyOnly(city);
  const signatures_only = await signaturesOnly(city);

  const results: Record<string, unknown> = {};
  for (const dialect of o.dbs) {
    const h = await harness(dialect, o.out_dir);
    try {
      o.log(`${dialect}: baseline insert`);
      const base = await h.fresh('baseline');
      let version: string;
      let baseline;
      try {
        version = await versionOf(base);
        await enrollAll(base, city);
        baseline = await baselineDays(base, city, o.days);
      } finally {
        await base.close();
      }
      // The same without the three indexes reconciliation reads by (card, tx, kind): what they cost ingest.
      o.log(`${dialect}: baseline insert ${rate(baseline.entries, baseline.ms)} entries/s; now without reconciliation's indexes`);
      const bare = await h.fresh('baseline-bare');
      let bareBaseline;
      try {
        for (const index of RECONCILIATION_INDEXES) await bare.db.schema.dropIndex(index).execute();
        await enrollAll(bare, city);
        bareBaseline = await baselineDays(bare, city, o.days);
      } finally {
        await bare.close();
      }
      o.log(`${dialect}: baseline without those indexes ${rate(bareBaseline.entries, bareBaseline.ms)} entries/s; now ingest`);
      const store = await h.fresh('ingest');
      try {
        await enrollAll(store, city);
        const { ingest, catch_up_fold: firstFold } = await ingestThenFold(store, city, 0, o.days);
        o.log(`${dialect}: ingest ${rate(ingest.entries, ingest.ms)} entries/s (${secs(ingest.ms)} s); now replay`);
        const before = await storeChecksum(store);
        const replay = await replayDays(store, city, o.days);
        const after = await storeChecksum(store);
        const unchanged = JSON.stringify(before) === JSON.stringify(after) && replay.stored === 0 && before.entries === ingest.entries;
        if (!unchanged) throw new Error(`replaying every batch changed the store: ${JSON.stringify({ before, after, stored: replay.stored })}`);

        const growth: Record<string, unknown>[] = [];
        let held = o.days;
        for (const days of sizes) {
          let grow_ingest = null;
          let catch_up_fold = days === o.days ? firstFold : null;
          if (days > held) {
            o.log(`${dialect}: grow to ${days} days`);
            const g = await ingestThenFold(store, city, held, days);
            catch_up_fold = g.catch_up_fold;
            grow_ingest = { entries: g.ingest.entries, entries_per_s: rate(g.ingest.entries, g.ingest.ms) };
            o.log(`${dialect}: added days ingested at ${grow_ingest.entries_per_s} entries/s`);
            held = days;
          }
          o.log(`${dialect}: reconcile at ${days} days`);
          const recon = await reconcileTimes(store, city, days, o.all_days, o.out_dir);
          o.log(`${dialect}: reconciled ${recon.last_day} in ${recon.last_day_s} s ${JSON.stringify(recon.last_day_check_ms)}`);
          growth.push({ days, entries: entriesUpTo(days), ingest_of_added_days: grow_ingest, catch_up_fold, reconciliation: recon });
        }
        const first = growth[0]!.reconciliation as { last_day_s: number; all_days_s: number | null };
        for (const g of growth) {
          const r = g.reconciliation as { last_day_s: number; all_days_s: number | null };
          g.growth_factor = { entries: Math.round(((g.entries as number) / (growth[0]!.entries as number)) * 100) / 100, last_day_s: Math.round((r.last_day_s / first.last_day_s) * 100) / 100, all_days_s: r.all_days_s === null || first.all_days_s === null ? null : Math.round((r.all_days_s / first.all_days_s) * 100) / 100 };
        }
        results[dialect] = {
          version,
          baseline_raw_insert: { what: 'same rows in stored form, same insert code, same batches and transactions, no verification or look-ups', entries: baseline.entries, seconds: secs(baseline.ms), entries_per_s: rate(baseline.entries, baseline.ms) },
          baseline_without_reconciliation_indexes: { what: `the baseline with ${RECONCILIATION_INDEXES.join(', ')} dropped (primary key and (kiosk_id, entry_id) kept)`, entries: bareBaseline.entries, seconds: secs(bareBaseline.ms), entries_per_s: rate(bareBaseline.entries, bareBaseline.ms) },
          ingest: { what: 'ingestBatch with full verification (hash, link, payload, every signature) and projection', entries: ingest.entries, batches: ingest.batches, seconds: secs(ingest.ms), entries_per_s: rate(ingest.entries, ingest.ms), vs_baseline: Math.round((baseline.ms === 0 ? 0 : ingest.ms / baseline.ms) * 100) / 100 },
          replay: { what: 'every batch sent again after the ingest: all duplicates, nothing changed', batches: replay.batches, seconds: secs(replay.ms), entries_per_s: rate(ingest.entries, replay.ms), unchanged, entries: after.entries, checksum: after.checksum, sync_evidence: after.sync_evidence, exceptions: after.exceptions },
          growth,
        };
      } finally {
        await store.close();
      }
    } finally {
      await h.stop();
    }
  }
  return {
    bench: 'server',
    parameters: { entries: o.entries, kiosks: o.kiosks, cards: o.cards, days: o.days, entries_per_day, grow: o.grow, sizes_days: sizes, seed: o.seed, batch_entries: MAX_BATCH_ENTRIES, time_zone: TIME_ZONE, city_cache: city.cache_dir },
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? null, memory_gib: Math.round(totalmem() / 2 ** 30), free_memory_gib: Math.round(freemem() / 2 ** 30), node: process.version, platform: process.platform },
    city: { entries_total: total, generated_s: Math.round(city.generated_s), verify_only_day0: { what: 'checkEntryRow (src/ledger) over day 0 on one core, no database', ...verify_only }, signatures_only_day0: signatures_only },
    signature_threads: process.env.CIVICARD_SIGNATURE_THREADS ?? 'off',
    results,
  };
}
