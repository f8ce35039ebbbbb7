// npm run bench:server [-- --entries 1000000 --kiosks 50 --cards 100000 --days 7
//   --grow 2000000,3000000 --db sqlite,postgres --all-days --quick]
// Prints one JSON document (progress goes to stderr): a city's kiosks synced
// into the back office on SQLite and on PostgreSQL — raw insert of the same
// rows as the baseline, ingest with full verification, replay of every batch
// (checked: nothing changes), reconciliation times as the city grows. See
// test/bench/city/server-bench.ts for what each figure is, docs/benchmarks.md
// for how to read them. The city is generated once and cached in
// bench-out/city/ (gitignored); --quick runs a tiny city in memory in seconds.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackOfficeDialect } from '../../src/backoffice/db/connect';
import { runServerBench } from './city/server-bench';

const { values } = parseArgs({
  options: {
    entries: { type: 'string' },
    kiosks: { type: 'string' },
    cards: { type: 'string' },
    days: { type: 'string' },
    grow: { type: 'string' },
    db: { type: 'string', default: 'sqlite,postgres' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench-out' },
    'all-days': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});

function count(name: string, text: string | undefined, fallback: number): number {
  const n = text === undefined ? fallback : Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, not ${text}`);
  return n;
}

async function main() {
  const quick = values.quick;
  const dbs = values.db.split(',').map((d) => d.trim());
  for (const d of dbs) if (d !== 'sqlite' && d !== 'postgres') throw new RangeError(`--db takes sqlite and/or postgres, not ${d}`);
  const out_dir = values.out;
  const report = await runServerBench({
    entries: count('entries', values.entries, quick ? 4_000 : 1_000_000),
    kiosks: count('kiosks', values.kiosks, quick ? 5 : 50),
    cards: count('cards', values.cards, quick ? 400 : 100_000),
    days: count('days', values.days, quick ? 2 : 7),
    grow: values.grow === undefined ? (quick ? [6_000] : [2_000_000, 3_000_000]) : values.grow.split(',').filter((g) => g !== '').map((g) => count('grow', g, 0)),
    dbs: dbs as BackOfficeDialect[],
    seed: count('seed', values.seed, 1),
    out_dir,
    cache_dir: quick ? null : join(out_dir, 'city'),
    all_days: values['all-days'],
    log: (line) => process.stderr.write(`[bench:server ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ quick, ...report }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
