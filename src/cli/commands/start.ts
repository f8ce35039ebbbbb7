import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openBackOfficeDb } from '../../backoffice/db/connect';
import { buildServer } from '../../backoffice/server';
import { writeApiTokenFile } from '../../kiosk/api/token-file';
import { createSpeaker } from '../../kiosk/runtime/speech';
import { chooseUi, electronBinary, hasDisplay, openChromium, CHROMIUM_PATH, type OpenedBrowser } from '../../webshell/launch';
import { REPO_ROOT } from '../../shared/repo-paths';
import { ensureRendererBuilt } from '../../webshell/renderer-build';
import { enrollSimStations } from '../../webshell/sim-enrollment';
import { startWebShell } from '../../webshell/web-shell';

// `npm start`: everything a newcomer needs on one machine, until Ctrl-C — the
// back office (embedded, SQLite), the resident kiosk and an attendant booth on
// simulated card, printer and scanner, and the UI: the Electron shell when its
// binary is installed, otherwise the web shell in Chromium (or its URL printed).
// The kiosk sells the bundled simulators (ILS over SIP2, tariff and citation
// fixtures); the kiosk and booth are enrolled in the back office and sync their
// ledgers to it in the background. The scripted day is `civicard demo`.


function portOption(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name} must be a port number, got "${value}"`);
  return port;
}

interface StartOptions {
  dir?: string;
  port: string;
  simPort: string;
  backofficePort: string;
  backoffice: boolean;
  pcscd: boolean;
  open: boolean;
  ui: string;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('back office, kiosk and attendant booth on simulated devices, and the kiosk UI (Electron, else the web shell in Chromium) until Ctrl-C')
    .option('--dir <dir>', 'where the kiosk, booth and back office keep their state (default: a new temp dir, removed at exit)')
    .option('--port <port>', 'kiosk API and web shell port on 127.0.0.1 (0: any free port)', '7311')
    .option('--sim-port <port>', 'simulated devices and their panel on 127.0.0.1 (0: any free port)', '7312')
    .option('--backoffice-port <port>', 'embedded back office on 127.0.0.1 (0: any free port)', '7310')
    .option('--no-backoffice', 'do not start the embedded back office')
    .option('--no-pcscd', 'tap simulated cards on an in-memory reader instead of through pcscd')
    .option('--no-open', 'print the URLs only, open no browser')
    .option('--ui <ui>', 'auto (Electron when installed, else the web shell), electron or web', 'auto')
    .action(async (opts: StartOptions) => {
      if (!['auto', 'electron', 'web'].includes(opts.ui)) throw new Error('--ui must be auto, electron or web');
      const port = portOption('--port', opts.port);
      const sim_port = portOption('--sim-port', opts.simPort);
      const backoffice_port = portOption('--backoffice-port', opts.backofficePort);
      const temp = !opts.dir;
      const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'civicard-start-'));
      mkdirSync(dir, { recursive: true });
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const ui = chooseUi({ ui: opts.ui as 'auto' | 'electron' | 'web', open: opts.open, electron: electronBinary(), chromium: existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : null, display: hasDisplay(process.env) });
      const stops: (() => Promise<void>)[] = [];
      const stopAll = async () => {
        for (const stop of stops.reverse()) await stop().catch((e: unknown) => say(`while stopping: ${e instanceof Error ? e.message : String(e)}`));
        if (temp) rmSync(dir, { recursive: true, force: true });
      };
      try {
        let sync: { serverUrl: string } | undefined;
        if (opts.backoffice) {
          const store = await openBackOfficeDb(`sqlite:${join(dir, 'backoffice.db')}`);
          const server = buildServer({ store });
          stops.push(async () => {
            await server.close();
            await store.close();
          });
          const url = await server.listen({ host: '127.0.0.1', port: backoffice_port });
          say(`back office at ${url} (SQLite ${join(dir, 'backoffice.db')})`);
          if (ui.kind !== 'electron') {
            const [kiosk, booth] = await enrollSimStations(store, dir);
            say(`  kiosk ${kiosk!.kiosk_id} (${kiosk!.status}) and booth ${booth!.kiosk_id} (${booth!.status}) enrolled; their ledgers sync to it in the background`);
            sync = { serverUrl: url };
          } else say('  (the Electron kiosk keeps its own data dir and does not sync to it yet)');
        }
        if (ui.kind === 'electron') await runElectron(ui.binary, sim_port, say, stops);
        else await runWebShell(ui, { dir, port, sim_port, pcscd: opts.pcscd, sync }, say, stops);
        say('Ctrl-C stops everything.');
        const signal = await untilSignal();
        say(`${signal}: stopping`);
      } finally {
        await stopAll();
      }
      say('stopped');
    });
}

async function runWebShell(ui: Exclude<ReturnType<typeof chooseUi>, { kind: 'electron' }>, o: { dir: string; port: number; sim_port: number; pcscd: boolean; sync: { serverUrl: string } | undefined }, say: (line: string) => void, stops: (() => Promise<void>)[]): Promise<void> {
  ensureRendererBuilt(say);
  const espeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!espeak) say('espeak-ng is not installed: spoken guidance is off (bash scripts/setup.sh installs it)');
  const shell = await startWebShell({ dir: o.dir, pcscd: o.pcscd, port: o.port, sim_port: o.sim_port, speaker: espeak ? createSpeaker() : null, onNote: say, ...(o.sync ? { sync: o.sync } : {}) });
  stops.push(() => shell.stop());
  const token_path = writeApiTokenFile(o.dir, shell.token);
  stops.push(async () => rmSync(token_path, { force: true }));
  if (!shell.kiosk.through_pcscd && o.pcscd) say('cards are tapped on an in-memory reader (pcscd could not start; bash scripts/setup.sh installs pcscd and vpcd)');
  say(`kiosk ready (cards via ${shell.kiosk.counter.kind}, ledger ${shell.kiosk.ledger_path}, token file ${token_path})`);
  say(`  selling ${shell.kiosk.services_label}`);
  say(`  kiosk screen:                 ${shell.kiosk_url}`);
  say(`  attendant booth:              ${shell.attendant_url}`);
  say(`  simulated devices + kiosk:    ${shell.panel_url}`);
  if (ui.kind === 'chromium') {
    const browser: OpenedBrowser = openChromium(ui.binary, shell.panel_url);
    stops.push(() => browser.close());
    say('opened Chromium in kiosk mode on the simulated devices page (Alt+F4 closes it; the kiosk keeps running)');
  } else say(`open the simulated devices URL in a browser: ${ui.reason}`);
}

async function runElectron(binary: string, sim_port: number, say: (line: string) => void, stops: (() => Promise<void>)[]): Promise<void> {
  ensureRendererBuilt(say);
  if (!existsSync(join(REPO_ROOT, 'out', 'main', 'index.js'))) {
    say('building the Electron main and preload (npm run build:electron)…');
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO_ROOT, 'scripts', 'build-electron.ts')], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build:electron failed');
  }
  const child = spawn(binary, [REPO_ROOT, '--sim'], { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, CIVICARD_SIM: '1', CIVICARD_SIM_PORT: String(sim_port) } });
  say(`Electron kiosk started (pid ${child.pid}); its simulated devices are on 127.0.0.1:${sim_port}, token file in its data dir`);
  stops.push(
    () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  );
}
