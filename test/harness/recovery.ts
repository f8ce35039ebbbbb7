// npm run harness:recovery [-- --points N] [--seed N] [--verbose] — the recovery
// harness (issue 6). Lives of the stations are run one after another against
// one card: a resident kiosk, another kiosk where the card is used many times
// in a row, and the attendant station (top-ups, voids), each with its own
// ledger, all started through the product's own boot path. Steps are chosen by
// a seeded PRNG; the card is torn at random APDUs, some payments are refused
// by the service (credited back), and each life may be killed with SIGKILL at
// a machine state or an APDU. The last life reads the card at every station.
// Then every ledger must agree with the card's journal (what the card really
// committed) to the cent, with nothing guessed. Prints a JSON report with the
// seed (also on stderr at the start); exits non-zero when an invariant fails.
import { spawn } from 'node:child_process';
import { mulberry32 } from '../support/prng';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCard } from '../../src/card/issuance';
import { CIVICARD_AID, PURSE_FILE } from '../../src/card/layout';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../src/card/keys/keyset-file';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import type { KeyVault } from '../../src/card/keys/keyvault';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { issueRecorded } from '../../src/kiosk/runtime/issuing-desk';
import { hashPin, type StaffMember } from '../../src/kiosk/runtime/staff';
import { newTxId } from '../../src/shared/ids';
import { blankCardState, DesfireSim, loadCardState, saveCardStateAtomic } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';
import { journaledCard, readJournal } from './card-journal';
import { checkEnd, type EndCheck } from './recovery-check';
import {
  CARD_REF_KEY_HEX,
  CARD_TXN_STATES,
  OPENING_MINOR,
  PAYMENT_STATES,
  PINS,
  PURSE_LIMIT_MINOR,
  REFUSAL_STATES,
  STATIONS,
  type KillPlan,
  type Step,
  type TearPlan,
  type WorkerPlan,
} from './recovery-plan';

const WORKER = join(process.cwd(), 'test/harness/recovery-worker.ts');

/** Upper bounds of the harness card's APDUs in one step (`--verbose` prints apdus=N per step); a tear or kill past the end never happens. */
const APDUS = { pay: 12, credit_back: 4, top_up: 16, void: 16 } as const;

export interface HarnessReport extends Omit<EndCheck, 'ok'> {
  seed: number;
  /** The run directory (card, journal, ledgers), kept for a look after a failure. */
  run_dir: string;
  /** The plan of the life that reported an error, to replay it alone. */
  failed_life: WorkerPlan | null;
  points: number;
  tear_points: number;
  kill_points: number;
  lives: number;
  kills_by_kind: Record<string, number>;
  steps: { kiosk_payments: number; refused_payments: number; elsewhere_payments: number; top_ups: number; voids: number };
  out_of_service_restarts: number;
  opening_balance_minor: number;
  open_intents: number;
  uncertain: number;
  uncertain_on_card: number;
  uncertain_not_on_card: number;
  ledgers_verified: boolean;
  errors: string[];
  ok: boolean;
}

/** Replayable from the printed seed (see test/support/prng.ts). */
export function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() % 2_147_483_647;
}

/**
 * What each life does: a few visits and at most one kill, all from the PRNG.
 * After a life planned to die, the next one often starts with a long run at
 * the other kiosk, so the station that died next sees the card with its
 * transaction's record rotated out of the history (it must stay uncertain).
 */
export function planLife(next: () => number, dir: string, previous: WorkerPlan | null): WorkerPlan {
  const chance = (percent: number) => next() % 100 < percent;
  const tear = (apdus: number, from = 1): TearPlan => ({ apdu: from + (next() % apdus), when: chance(50) ? 'before' : 'after' });
  const steps: Step[] = [];
  const elsewhere = (n: number) => {
    for (let i = 0; i < n; i++) steps.push({ kind: 'pay', station: 'elsewhere', refuse: false, patience: 3, tear: chance(10) ? tear(APDUS.pay) : null });
  };
  const prevKill = previous?.kill;
  if (prevKill && prevKill.at !== 'none' && chance(50)) elsewhere(9 + (next() % 4));
  const blocks = 1 + (next() % 4);
  for (let b = 0; b < blocks; b++) {
    const r = next() % 100;
    if (r < 45) {
      const refuse = chance(30);
      // Half the tears of a refused payment land in its credit back.
      const t = !chance(50) ? null : refuse && chance(50) ? tear(APDUS.credit_back, APDUS.pay + 1) : tear(APDUS.pay);
      steps.push({ kind: 'pay', station: 'kiosk', refuse, patience: 3, tear: t });
    } else if (r < 62) {
      // Enough payments elsewhere that a torn payment's record rotates out of the card's history.
      elsewhere(5 + (next() % 8));
    } else {
      steps.push({ kind: 'top_up', amount_minor: 100 + 25 * (next() % 17), tear: chance(50) ? tear(APDUS.top_up) : null });
      if (chance(40)) steps.push({ kind: 'void', tear: chance(50) ? tear(APDUS.void) : null });
    }
  }
  let kill: KillPlan = { at: 'none' };
  if (chance(60)) {
    const step = next() % steps.length;
    const s = steps[step]!;
    if (chance(50)) {
      const states: readonly string[] =
        s.kind === 'pay' ? [...PAYMENT_STATES, ...(s.refuse ? REFUSAL_STATES : [])] : CARD_TXN_STATES.filter((x) => x !== (s.kind === 'top_up' ? 'debiting' : 'crediting'));
      kill = { at: 'state', step, state: states[next() % states.length]! };
    } else {
      const apdus = s.kind === 'pay' ? APDUS.pay + (s.refuse ? APDUS.credit_back : 0) : APDUS[s.kind];
      kill = { at: 'apdu', step, apdu: 1 + (next() % apdus), when: chance(50) ? 'before' : 'after' };
    }
  }
  return { dir, steps, kill, final: false };
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
      const killedByPlan = signal === 'SIGKILL' && lines.some((l) => l.startsWith('KILLED'));
      if ((code !== 0 && signal === null) || (signal !== null && !killedByPlan)) lines.push(`ERROR worker exited ${code ?? signal}: ${errText.slice(-2000)}`);
      resolve({ lines, signal, code });
    });
  });
}

/** The card's reference as a card station computes it, by reading the card the way the stations do. */
async function cardRefAsStationsSeeIt(card: DesfireSim, vault: KeyVault, card_ref_key: Buffer): Promise<string> {
  const reader = new FakeCardReader();
  const options = { reader, vault, card_ref_key, terminal_id: STATIONS.desk.terminal_id };
  const station = new CardStation(options);
  reader.insertCard(card);
  const read = await station.readCard();
  await station.release();
  await reader.close();
  if (!read.ok) throw new Error(`the staff card could not be read: ${read.error}`);
  return read.value.card_ref;
}

/** Keys, the desk's ledger, the card issued through the desk (its opening balance recorded), staff cards and roster. */
export async function prepareRun(dir: string): Promise<void> {
  const keysPath = join(dir, 'keys.json');
  writeKeysetFile(keysPath, generateTestKeyset());
  const vault = loadKeyVault(keysPath, { simulated: true });
  const card_ref_key = Buffer.from(CARD_REF_KEY_HEX, 'hex');
  const desk = RuntimeLedger.open(join(dir, STATIONS.desk.ledger), loadOrCreateKioskKey(join(dir, STATIONS.desk.key)));
  const card = journaledCard(join(dir, 'card.json'), join(dir, 'journal.ndjson'), blankCardState());
  // terminal_id only for card layouts whose records still name the terminal (a variable, so either compiles).
  const deskParts = { ledger: desk, vault, card_ref_key, terminal_id: STATIONS.desk.terminal_id };
  await issueRecorded(new InMemoryCardTransport(card), deskParts, { opening_balance_minor: OPENING_MINOR, limit_minor: PURSE_LIMIT_MINOR, program_id: 1, valid_years: 5 });
  desk.close();
  const roster: StaffMember[] = [];
  for (const [who, staff_ref] of [['attendant', 'staff-17'], ['supervisor', 'staff-02']] as const) {
    const sim = new DesfireSim({ state: blankCardState() });
    const staffIssue = { vault, opening_balance_minor: 0, limit_minor: PURSE_LIMIT_MINOR, program_id: 1, valid_years: 5, terminal_id: STATIONS.desk.terminal_id, tx_id: newTxId() };
    await issueCard(new InMemoryCardTransport(sim), staffIssue);
    saveCardStateAtomic(join(dir, `staff-${who}.json`), sim.state);
    roster.push({ staff_ref, role: who, card_ref: await cardRefAsStationsSeeIt(sim, vault, card_ref_key), pin_hash: hashPin(PINS[who]) });
  }
  writeFileSync(join(dir, 'roster.json'), JSON.stringify(roster), { mode: 0o600 });
}

function cardBalance(dir: string): number {
  const purse = loadCardState(join(dir, 'card.json')).applications[CIVICARD_AID.toString('hex').toUpperCase()]?.files[String(PURSE_FILE.fileNo)];
  if (purse?.type !== 'value') throw new Error('the harness card has no purse');
  return purse.value;
}

export async function runRecoveryHarness(opts: { points: number; seed?: number; log?: (line: string) => void }): Promise<HarnessReport> {
  const seed = (opts.seed ?? Date.now() % 2_147_483_647) >>> 0;
  process.stderr.write(`recovery harness: seed ${seed}, ${opts.points} points\n`);
  const next = prng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'civicard-recovery-'));
  await prepareRun(dir);

  const counts = { tear_points: 0, kill_points: 0, lives: 0, out_of_service_restarts: 0 };
  const kills_by_kind: Record<string, number> = {};
  const steps = { kiosk_payments: 0, refused_payments: 0, elsewhere_payments: 0, top_ups: 0, voids: 0 };
  const errors: string[] = [];
  let failed_life: WorkerPlan | null = null;
  const tally = (lines: string[]) => {
    for (const line of lines) {
      if (line.startsWith('POINT torn')) counts.tear_points++;
      if (line.startsWith('KILLED')) {
        counts.kill_points++;
        const kind = line.split(' ').slice(1).join(' ');
        kills_by_kind[kind] = (kills_by_kind[kind] ?? 0) + 1;
      }
      if (line.startsWith('NOTE') && line.includes('out_of_service')) counts.out_of_service_restarts++;
      if (line.startsWith('ERROR')) errors.push(line);
      if (/ pay@kiosk refused /.test(line)) steps.refused_payments++;
      if (/ pay@kiosk /.test(line)) steps.kiosk_payments++;
      if (/ pay@elsewhere /.test(line)) steps.elsewhere_payments++;
      if (/ top_up \d+ /.test(line)) steps.top_ups++;
      if (/ void /.test(line)) steps.voids++;
    }
  };
  let previous: WorkerPlan | null = null;
  while (counts.tear_points + counts.kill_points < opts.points && errors.length === 0) {
    previous = planLife(next, dir, previous);
    const life = await runLife(previous);
    counts.lives++;
    tally(life.lines);
    if (errors.length > 0) failed_life ??= previous;
    opts.log?.(`life ${counts.lives}: ${life.lines.join(' | ')}`);
  }
  // The last life reads the card at every station, so each settles what it can.
  const last = await runLife({ dir, steps: [], kill: { at: 'none' }, final: true });
  tally(last.lines);
  opts.log?.(`last life: ${last.lines.join(' | ')}`);

  const end = checkEnd(dir, readJournal(join(dir, 'journal.ndjson')), cardBalance(dir));
  const ledgers = Object.values(end.ledgers);
  const sum = (f: (l: (typeof ledgers)[number]) => number) => ledgers.reduce((a, l) => a + f(l), 0);
  const report: HarnessReport = {
    seed,
    run_dir: dir,
    failed_life,
    points: counts.tear_points + counts.kill_points,
    ...counts,
    kills_by_kind,
    steps,
    opening_balance_minor: OPENING_MINOR,
    open_intents: sum((l) => l.open),
    uncertain: sum((l) => l.uncertain),
    uncertain_on_card: sum((l) => l.uncertain_on_card),
    uncertain_not_on_card: sum((l) => l.uncertain_not_on_card),
    ledgers_verified: ledgers.every((l) => l.verified),
    ...end,
    errors,
    ok: end.ok && errors.length === 0,
  };
  return report;
}

function argValue(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
}

if (process.argv[1]?.endsWith('recovery.ts')) {
  const points = argValue('--points') ?? 1_000;
  const seed = argValue('--seed');
  const verbose = process.argv.includes('--verbose');
  runRecoveryHarness({ points, seed, log: verbose ? (l) => process.stderr.write(`${l}\n`) : undefined }).then((report) => {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exit(report.ok ? 0 : 1);
  });
}
