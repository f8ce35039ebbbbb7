// npm run harness:recovery [-- --points N] — the recovery harness (issue: kiosk core §5).
// Lives of a kiosk are run one after another against one card and one ledger:
// each life settles what the last left open, pays with the card torn at random
// APDUs, and is killed with SIGKILL at a random step (a machine state, or an
// APDU before/after the card runs it). When enough tear and kill points have
// happened, the card and the ledger must agree to the cent: no debit lost or
// doubled, every intent settled, the chain verifies. Prints a JSON report;
// exits non-zero when an invariant fails.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../src/card/keys/keyset-file';
import { issueCard } from '../../src/card/issuance';
import { Purse } from '../../src/card/purse';
import { KioskLedger, loadOrCreateKioskKey, verifyLedger } from '../../src/ledger';
import { newTxId } from '../../src/shared/ids';
import { blankCardState, DesfireSim, loadCardState, saveCardStateAtomic } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';
import { HARNESS_FEE_MINOR, PAYMENT_STATES, type KillPlan, type WorkerPlan } from './recovery-plan';

const OPENING_MINOR = 50_000;
const WORKER = join(process.cwd(), 'test/harness/recovery-worker.ts');

export interface HarnessReport {
  seed: number;
  points: number;
  /** Intents a restarted kiosk found committed on the card (killed between card and ledger) or not. */
  recovered_committed: number;
  recovered_aborted: number;
  tear_points: number;
  kill_points: number;
  lives: number;
  kills_by_kind: Record<string, number>;
  payments_committed: number;
  intents_aborted: number;
  card_balance_minor: number;
  ledger_expected_balance_minor: number;
  open_intents: number;
  committed_tx_ids_unique: boolean;
  card_history_matches_ledger: boolean;
  ledger_verified: boolean;
  ok: boolean;
}

function runLife(plan: WorkerPlan): Promise<{ lines: string[]; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    child.on('exit', (code, signal) => {
      const lines = out.split('\n').filter(Boolean);
      if (code !== 0 && signal === null) lines.push(`ERROR worker exited ${code}: ${errText.slice(-2000)}`);
      resolve({ lines, signal, code });
    });
  });
}

export async function runRecoveryHarness(opts: { points: number; seed?: number; log?: (line: string) => void }): Promise<HarnessReport> {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-recovery-'));
  const keysPath = join(dir, 'keys.json');
  writeKeysetFile(keysPath, generateTestKeyset());
  const statePath = join(dir, 'card.json');
  const sim = new DesfireSim({ state: blankCardState(), onPersist: (s) => saveCardStateAtomic(statePath, s) });
  await issueCard(new InMemoryCardTransport(sim), { vault: loadKeyVault(keysPath, { simulated: true }), opening_balance_minor: OPENING_MINOR, limit_minor: OPENING_MINOR, program_id: 1, valid_years: 5, terminal_id: 0, tx_id: newTxId() });
  saveCardStateAtomic(statePath, sim.state);

  // mulberry32: every bit well mixed (a plain LCG's low bits repeat, which once
  // kept every APDU kill on 'before'), and replayable from the printed seed.
  let seed = (opts.seed ?? Date.now()) >>> 0;
  const next = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 2_147_483_647;
  };
  const report = { seed, points: 0, tear_points: 0, kill_points: 0, lives: 0, kills_by_kind: {} as Record<string, number>, recovered_committed: 0, recovered_aborted: 0 };
  const errors: string[] = [];
  while (report.points < opts.points && errors.length === 0) {
    const payments = 1 + (next() % 6);
    const killRoll = next() % 10;
    let kill: KillPlan = { at: 'none' };
    if (killRoll < 5) kill = { at: 'state', payment: 1 + (next() % payments), state: PAYMENT_STATES[next() % PAYMENT_STATES.length]! };
    else if (killRoll < 9) kill = { at: 'apdu', payment: 1 + (next() % payments), apdu: 1 + (next() % 12), when: next() % 2 === 0 ? 'before' : 'after' };
    const life = await runLife({ dir, seed: next(), payments, kill, tear_rate: 0.5 });
    report.lives++;
    for (const line of life.lines) {
      if (line.startsWith('POINT torn')) report.tear_points++;
      if (line.startsWith('KILLED')) {
        report.kill_points++;
        const kind = line.split(' ').slice(1).join(' ');
        report.kills_by_kind[kind] = (report.kills_by_kind[kind] ?? 0) + 1;
      }
      if (line.startsWith('ERROR')) errors.push(line);
      const recovered = /^RECOVERED committed=(\d+) aborted=(\d+)/.exec(line);
      if (recovered) {
        report.recovered_committed += Number(recovered[1]);
        report.recovered_aborted += Number(recovered[2]);
      }
    }
    report.points = report.tear_points + report.kill_points;
    opts.log?.(`life ${report.lives}: ${life.lines.join(' | ')}`);
  }
  // A last life with no payments settles whatever the last kill left open.
  const last = await runLife({ dir, seed: next(), payments: 0, kill: { at: 'none' }, tear_rate: 0 });
  for (const line of last.lines) if (line.startsWith('ERROR')) errors.push(line);

  const key = loadOrCreateKioskKey(join(dir, 'kiosk-key.pem'));
  const ledger = KioskLedger.open(join(dir, 'ledger.db'), key);
  const balances = ledger.txBalances(0, 100_000);
  const committed = balances.filter((t) => t.state === 'committed').map((t) => t.tx_id);
  const aborted = balances.filter((t) => t.state === 'aborted').length;
  const open = (await ledger.openIntents()).length;
  const verification = verifyLedger(ledger.db, { trustedKey: key.publicKey });
  const verified = verification.ok && verification.verified;
  ledger.close();

  const card = new DesfireSim({ state: loadCardState(statePath) });
  const reading = await new Purse(new InMemoryCardTransport(card), { vault: loadKeyVault(keysPath, { simulated: true, roles: ['debit', 'read'] }), terminal_id: 1, records_to_read: 100 }).read();
  const expected = OPENING_MINOR - committed.length * HARNESS_FEE_MINOR;
  const committedSet = new Set(committed);
  const historyDebits = reading.last_records.filter((r) => r.kind === 'debit');
  const full = {
    ...report,
    payments_committed: committed.length,
    intents_aborted: aborted,
    card_balance_minor: reading.balance_minor,
    ledger_expected_balance_minor: expected,
    open_intents: open,
    committed_tx_ids_unique: committedSet.size === committed.length,
    card_history_matches_ledger: historyDebits.every((r) => committedSet.has(r.tx_id)),
    ledger_verified: verified,
    errors,
  };
  return { ...full, ok: errors.length === 0 && reading.balance_minor === expected && open === 0 && full.committed_tx_ids_unique && full.card_history_matches_ledger && verified };
}

if (process.argv[1]?.endsWith('recovery.ts')) {
  const pointsArg = process.argv.indexOf('--points');
  const points = pointsArg > 0 ? Number(process.argv[pointsArg + 1]) : 1_000;
  const verbose = process.argv.includes('--verbose');
  runRecoveryHarness({ points, log: verbose ? (l) => process.stderr.write(`${l}\n`) : undefined }).then((report) => {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exit(report.ok ? 0 : 1);
  });
}
