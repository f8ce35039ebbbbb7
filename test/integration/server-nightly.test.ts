import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

// `civicard server` wires the nightly reconciliation (issue 9 point 6): a real
// server process on an SQLite file, told to run one reconciliation now
// through the nightly path, logs one line for it and leaves the reports.

const CLI = join(process.cwd(), 'bin/civicard.js');
const dir = mkdtempSync(join(tmpdir(), 'civicard-server-nightly-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `civicard server ARGS` until `until` matches a stderr line (or it exits); returns what it printed and its exit code after SIGTERM. */
async function serverUntil(args: string[], until: RegExp) {
  const proc = spawn(process.execPath, [CLI, 'server', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const stderr: string[] = [];
  const exited = once(proc, 'exit');
  await new Promise<void>((resolve) => {
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (until.test(line)) resolve();
    });
    void exited.then(() => resolve());
  });
  if (proc.exitCode === null) proc.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return { stdout, stderr, code };
}

describe('civicard server: the nightly reconciliation', () => {
  it('is on by default at the time and zone given, and --reconcile-now runs one day through it at once', async () => {
    const reports = join(dir, 'reports');
    const r = await serverUntil(
      ['--db', `sqlite:${join(dir, 'bo.db')}`, '--nightly-at', '03:30', '--time-zone', 'America/Chicago', '--reports', reports, '--reconcile-now', '2026-03-02'],
      /nightly reconciliation of 2026-03-02/,
    );
    expect(r.stdout).toMatch(/^back office listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr.join('\n')).toMatch(new RegExp(`^\\S+Z nightly reconciliation at 03:30 America/Chicago into ${reports}/YYYY-MM-DD; next run \\S+Z$`, 'm'));
    expect(r.stderr.join('\n')).toMatch(new RegExp(`^\\S+Z nightly reconciliation of 2026-03-02 \\(America/Chicago\\): 0 card transactions, liability holds, exceptions 0 critical / 0 warning / 0 info; reports in ${reports}/2026-03-02$`, 'm'));
    expect(JSON.parse(readFileSync(join(reports, '2026-03-02', 'summary.json'), 'utf8'))).toMatchObject({ business_date: '2026-03-02', time_zone: 'America/Chicago' });
    expect(r.code).toBe(0);
  }, 30_000);

  it('--no-nightly leaves it off and says so; a bad time is refused before listening', async () => {
    const off = await serverUntil(['--db', `sqlite:${join(dir, 'off.db')}`, '--no-nightly'], /nightly reconciliation off/);
    expect(off.stderr.join('\n')).toMatch(/nightly reconciliation off \(--no-nightly\): run civicard reconcile by hand/);
    expect(off.code).toBe(0);
    expect(existsSync(join(process.cwd(), 'reconciliation'))).toBe(false);

    const bad = await serverUntil(['--db', `sqlite:${join(dir, 'bad.db')}`, '--nightly-at', '2am'], /never/);
    expect(bad.code).toBe(1);
    expect(bad.stderr.join('\n')).toMatch(/^civicard: the nightly time must be HH:MM \(24 h\), not 2am$/m);
    expect(bad.stdout).toBe('');
  }, 30_000);
});
