import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttendantView } from '../shared/attendant-api';
import type { KioskCommand, KioskView, Language } from '../shared/kiosk-api';
import type { KioskCore } from '../kiosk/api/api-routes';
import { attendantViewOf } from '../kiosk/api/attendant-view';
import { startKioskApiServer } from '../kiosk/api/http';
import { applyMaintenanceCommand } from '../kiosk/api/maintenance-command';
import { MaintenanceFigures } from '../kiosk/api/maintenance-figures';
import { maintenanceViewOf, type MaintenanceSource } from '../kiosk/api/maintenance-route';
import { simRoutes } from '../kiosk/api/sim-routes';
import { writeApiTokenFile } from '../kiosk/api/token-file';
import { viewOf } from '../kiosk/api/view';
import { startSimAttendant, type SimAttendant } from '../kiosk/demo/sim-attendant';
import { startSimKiosk } from '../kiosk/demo/sim-kiosk';
import { simMaintenanceSource } from '../kiosk/demo/sim-maintenance';
import { attendantIpcRoutes, maintenanceIpcRoutes, type AttendantPort, type IpcRoute, type MaintenancePort, type ResidentPort } from './ipc';

// The kiosk core as the shell sees it: views, commands, changes, stop. The
// shell starts it through this interface only, so its tests inject a fake.

export interface KioskCoreHost extends ResidentPort {
  /** Calls `listener` with the view after every change (the machine's or the language). */
  subscribe(listener: (view: KioskView) => void): () => void;
  /** The attendant booth beside the kiosk, when there is one. */
  readonly attendant?: AttendantPort;
  /** The maintenance screen's view and commands, when the core offers them. */
  readonly maintenance?: MaintenancePort;
  stop(): Promise<void>;
}

export type StartCore = (opts: CoreStartOptions) => Promise<KioskCoreHost>;

export interface CoreStartOptions {
  sim: boolean;
  /** Where the kiosk keeps its ledger, keys and state. */
  dir: string;
  onNote?: (line: string) => void;
  /** Where the bundled simulators' data files are (the packaged app's test/fixtures; default: the repository's). */
  fixtures_dir?: string;
}

/** The stations beside the resident's: the booth's port, and where the maintenance screen's figures come from. */
export interface CoreStations {
  attendant?: AttendantPort;
  maintenance?: MaintenanceSource;
}

/**
 * A host over a running core: a command is applied exactly as the HTTP API
 * applies it (api-routes.ts), and the resident view carries the maintenance
 * figures the same way (maintenance-figures.ts), pushed again when they refresh.
 */
export function hostCore(kiosk: KioskCore, stop: () => Promise<void>, stations: CoreStations = {}): KioskCoreHost {
  const listeners = new Set<(view: KioskView) => void>();
  const source = stations.maintenance;
  const figures = source ? new MaintenanceFigures(source, kiosk.actor, () => notify()) : null;
  const view = () => viewOf(kiosk.actor.getSnapshot(), kiosk.language, figures?.latest() ?? null);
  const notify = () => {
    const v = view();
    for (const l of listeners) l(v);
  };
  const sub = kiosk.actor.subscribe(notify);
  return {
    ...(stations.attendant ? { attendant: stations.attendant } : {}),
    ...(source ? { maintenance: maintenancePort(kiosk, source, figures) } : {}),
    view,
    apply(command: KioskCommand) {
      if (command.type === 'SET_LANGUAGE') {
        kiosk.language = command.language;
        notify();
      } else kiosk.actor.send(command);
      return view();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async stop() {
      figures?.stop();
      sub.unsubscribe();
      listeners.clear();
      await stop();
    },
  };
}

/**
 * The maintenance channels' port. The state is the operator's view (no staff
 * serial), as GET /api/maintenance; a command goes through the HTTP API's
 * function and answers the figures the resident view now carries.
 */
function maintenancePort(kiosk: KioskCore, source: MaintenanceSource, figures: MaintenanceFigures | null): MaintenancePort {
  const view = () => maintenanceViewOf(source, '');
  return {
    view,
    async apply(command) {
      const refused = await applyMaintenanceCommand(kiosk.actor, source, figures, command);
      if (refused) return refused;
      return figures?.latest() ?? view();
    },
  };
}

/** The simulated-device switch: `--sim` on the command line or CIVICARD_SIM=1. */
export function wantsSimulation(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--sim') || env.CIVICARD_SIM === '1';
}

const APP_VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** The booth as its channels see it: SET_LANGUAGE is the shell's, as in attendant-routes.ts; the rest goes to the machine. */
export function attendantPort(booth: Pick<SimAttendant, 'actor'>): AttendantPort {
  let language: Language = 'en';
  const listeners = new Set<(view: AttendantView) => void>();
  const view = () => attendantViewOf(booth.actor.getSnapshot(), language);
  booth.actor.subscribe(() => {
    const v = view();
    for (const l of listeners) l(v);
  });
  return {
    view,
    apply(command) {
      if (command.type === 'SET_LANGUAGE') {
        language = command.language;
        const v = view();
        for (const l of listeners) l(v);
      } else booth.actor.send(command);
      return view();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/** The `extra_routes` of the shell: the booth's and the maintenance channels the core offers. */
export function stationRoutes(core: KioskCoreHost): IpcRoute<unknown, unknown>[] {
  return [...(core.attendant ? attendantIpcRoutes(core.attendant) : []), ...(core.maintenance ? maintenanceIpcRoutes(core.maintenance) : [])];
}

/**
 * Starts the kiosk core. Simulated devices: a simulated kiosk in `dir` (in-memory
 * reader) selling the bundled simulators (ILS over SIP2, tariff and citation
 * fixtures: sim-services.ts), an attendant booth beside it, and the simulator API
 * on loopback (CIVICARD_SIM_PORT, default 7312), token in a file in `dir`, to tap
 * cards, scan barcodes and read receipts. Real devices wait for the hardware
 * configuration issue, so without simulation this refuses.
 */
export const startKioskCore: StartCore = async (opts) => {
  if (!opts.sim) throw new Error('only simulated devices are available until the hardware configuration issue: start with --sim or CIVICARD_SIM=1');
  mkdirSync(opts.dir, { recursive: true });
  const kiosk = await startSimKiosk({ dir: opts.dir, pcscd: false, onNote: opts.onNote, ...(opts.fixtures_dir ? { fixtures_dir: opts.fixtures_dir } : {}) });
  let booth: SimAttendant | null = null;
  try {
    booth = await startSimAttendant(kiosk);
    const sim_port = Number(process.env.CIVICARD_SIM_PORT ?? 7312);
    const simulated = booth;
    const api = await startKioskApiServer(kiosk, { port: 0, sim_port, sim: () => ({ routes: simRoutes(kiosk, { attendant: simulated }) }) });
    const token_path = writeApiTokenFile(opts.dir, api.token);
    opts.onNote?.(`selling ${kiosk.services_label}`);
    opts.onNote?.(`simulated devices at ${api.sim_url} (token file ${token_path})`);
    return hostCore(
      kiosk,
      async () => {
        await api.close();
        await simulated.stop();
        await kiosk.stop();
      },
      { attendant: attendantPort(simulated), maintenance: simMaintenanceSource(kiosk, { app_version: APP_VERSION, self_test_at: new Date().toISOString() }) },
    );
  } catch (err) {
    await booth?.stop();
    await kiosk.stop();
    throw err;
  }
};
