import { mkdirSync } from 'node:fs';
import type { KioskCommand, KioskView } from '../shared/kiosk-api';
import type { KioskCore } from '../kiosk/api/api-routes';
import { startKioskApiServer } from '../kiosk/api/http';
import { writeApiTokenFile } from '../kiosk/api/token-file';
import { viewOf } from '../kiosk/api/view';
import { startSimKiosk } from '../kiosk/demo/sim-kiosk';
import type { ResidentPort } from './ipc';

// The kiosk core as the shell sees it: views, commands, changes, stop. The
// shell starts it through this interface only, so its tests inject a fake.

export interface KioskCoreHost extends ResidentPort {
  /** Calls `listener` with the view after every change (the machine's or the language). */
  subscribe(listener: (view: KioskView) => void): () => void;
  stop(): Promise<void>;
}

export type StartCore = (opts: CoreStartOptions) => Promise<KioskCoreHost>;

export interface CoreStartOptions {
  sim: boolean;
  /** Where the kiosk keeps its ledger, keys and state. */
  dir: string;
  onNote?: (line: string) => void;
}

/** A host over a running core: a command is applied exactly as the HTTP API applies it (api-routes.ts). */
export function hostCore(kiosk: KioskCore, stop: () => Promise<void>): KioskCoreHost {
  const listeners = new Set<(view: KioskView) => void>();
  const view = () => viewOf(kiosk.actor.getSnapshot(), kiosk.language);
  const notify = () => {
    const v = view();
    for (const l of listeners) l(v);
  };
  const sub = kiosk.actor.subscribe(notify);
  return {
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
      sub.unsubscribe();
      listeners.clear();
      await stop();
    },
  };
}

/** The simulated-device switch: `--sim` on the command line or CIVICARD_SIM=1. */
export function wantsSimulation(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--sim') || env.CIVICARD_SIM === '1';
}

/**
 * Starts the kiosk core. Simulated devices: a simulated kiosk in `dir` (in-memory
 * reader) and its simulator API on loopback (CIVICARD_SIM_PORT, default 7312),
 * token in a file in `dir`, to tap cards and read receipts. Real devices wait
 * for the hardware configuration issue, so without simulation this refuses.
 */
export const startKioskCore: StartCore = async (opts) => {
  if (!opts.sim) throw new Error('only simulated devices are available until the hardware configuration issue: start with --sim or CIVICARD_SIM=1');
  mkdirSync(opts.dir, { recursive: true });
  const kiosk = await startSimKiosk({ dir: opts.dir, pcscd: false, onNote: opts.onNote });
  const sim_port = Number(process.env.CIVICARD_SIM_PORT ?? 7312);
  const api = await startKioskApiServer(kiosk, { port: 0, sim_port });
  const token_path = writeApiTokenFile(opts.dir, api.token);
  opts.onNote?.(`simulated devices at ${api.sim_url} (token file ${token_path})`);
  return hostCore(kiosk, async () => {
    await api.close();
    await kiosk.stop();
  });
};
