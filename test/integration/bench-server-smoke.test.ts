import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run bench:server -- --quick`: a tiny city (4,000 entries, 5 kiosks, two
// days growing to three) on SQLite and a real PostgreSQL, in seconds. The full
// size (1M entries, 50 kiosks, 100k cards, growing to 3M) is for the script,
// not the suite; here the JSON's shape and its checks are what is tested.

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'civicard-bench-server-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const figures = { entries: expect.any(Number), entries_per_s: expect.any(Number) };

describe('bench:server --quick', () => {
  it('prints one JSON document: baseline, ingest, an unchanged replay and reconciliation as the city grows, on both stores', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/bench/server.ts', '--quick', '--out', out], { maxBuffer: 10 * 2 ** 20 });
    const report = JSON.parse(stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(report).toMatchObject({
      bench: 'server',
      quick: true,
      parameters: { entries: 4_000, kiosks: 5, cards: 400, days: 2, grow: [6_000], batch_entries: 1_000 },
      machine: { cpus: expect.any(Number), node: process.version },
      city: { entries_total: expect.any(Number), verify_only_day0: { entries_per_s: expect.any(Number) } },
    });
    expect(Object.keys(report.results)).toEqual(['sqlite', 'postgres']);
    for (const [dialect, r] of Object.entries<any>(report.results)) { // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(r.version, dialect).toMatch(dialect === 'sqlite' ? /^SQLite 3\./ : /^PostgreSQL 15/);
      expect(r.baseline_raw_insert).toMatchObject(figures);
      expect(r.baseline_without_reconciliation_indexes).toMatchObject(figures);
      expect(r.ingest).toMatchObject({ ...figures, vs_baseline: expect.any(Number) });
      expect(r.ingest.entries).toBe(r.baseline_raw_insert.entries);
      expect(r.ingest.entries).toBeGreaterThanOrEqual(3_990);
      // Replaying every batch stored nothing and changed nothing.
      expect(r.replay).toMatchObject({ unchanged: true, entries: r.ingest.entries, checksum: expect.stringMatching(/^[0-9a-f]{64}$/), sync_evidence: 0, exceptions: 0 });
      expect(r.growth.map((g: { days: number }) => g.days)).toEqual([2, 3]);
      for (const g of r.growth) {
        expect(g.reconciliation).toMatchObject({ last_day_s: expect.any(Number), all_days_s: null, last_day_liability_holds: true, last_day_exceptions: { critical: 0 } });
      }
      expect(r.growth[1].ingest_of_added_days).toMatchObject(figures);
      expect(r.growth[1].growth_factor.entries).toBeCloseTo(1.5, 1);
    }
    // Both stores hold the same city, byte for byte.
    expect(report.results.sqlite.replay.checksum).toBe(report.results.postgres.replay.checksum);
  }, 180_000);
});
