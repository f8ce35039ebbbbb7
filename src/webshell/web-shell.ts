import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_EVENT_CLIENTS } from '../kiosk/api/api-routes';
import { attendantRoutes } from '../kiosk/api/attendant-routes';
import { startKioskApiServer, type KioskApiServer } from '../kiosk/api/http';
import { maintenanceRoute } from '../kiosk/api/maintenance-route';
import { simRoutes } from '../kiosk/api/sim-routes';
import { speakRoute, type SpeakerPort } from '../kiosk/api/speak-route';
import { startSimAttendant, type SimAttendant } from '../kiosk/demo/sim-attendant';
import { startSimKiosk, type SimKiosk } from '../kiosk/demo/sim-kiosk';
import { simMaintenanceSource } from '../kiosk/demo/sim-maintenance';
import type { KioskServiceConfig } from '../kiosk/config/service-config';
import { repoPath } from '../shared/repo-paths';
import { staticSite } from './static-site';

// The web shell: the kiosk core on simulated devices, its typed API and the
// built renderer on one loopback listener (same origin: no CORS), and beside
// it, on the simulator's own listener, the simulated-devices panel with the
// kiosk in a frame. The session token travels in the URL fragment, which a
// browser never sends to a server; every /api and /sim request must carry it.

export const RENDERER_DIST = repoPath('renderer', 'dist');
export const SIM_PANEL_DIR = fileURLToPath(new URL('./sim-panel', import.meta.url));
const APP_VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;

/** The renderer's pages: its own scripts and styles, requests to its own origin, framed only by the simulator panel. */
export function rendererCsp(framed_by: string | null): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${framed_by ?? "'none'"}`,
  ].join('; ');
}

/** The simulator panel: its own script and style, calls to its own origin, the kiosk's page in a frame. */
export function panelCsp(kiosk_origin: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src ${kiosk_origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export interface WebShellOptions {
  /** Where the kiosk keeps its ledger, keys, cards and receipts (kept across restarts). */
  dir: string;
  /** Cards through a real pcscd + vpcd when it can start (else in memory, with a note). */
  pcscd: boolean;
  /** API + pages port on 127.0.0.1 (0: any free port). */
  port: number;
  /** Simulator + panel port on 127.0.0.1 (0: any free port). */
  sim_port: number;
  /** The built renderer (default renderer/dist). */
  renderer_root?: string;
  /** Spoken guidance; null answers /api/speak with "switched off". */
  speaker?: SpeakerPort | null;
  /** An attendant booth beside the kiosk (default true). */
  attendant?: boolean;
  /** The services the kiosk sells (ILS, tariffs, citations; default: the bundled simulators, sim-services.ts). */
  services?: KioskServiceConfig;
  /** Upload the kiosk's and the booth's ledgers to this back office in the background (their keys enrolled there: sim-enrollment.ts). */
  sync?: { serverUrl: string };
  onNote?: (line: string) => void;
}

export interface WebShell {
  /** The resident kiosk's page, token in the fragment. */
  readonly kiosk_url: string;
  /** The attendant booth's page, token in the fragment (null without a booth). */
  readonly attendant_url: string | null;
  /** The simulated-devices panel with the kiosk beside it, token in the fragment. */
  readonly panel_url: string;
  readonly api_url: string;
  readonly sim_url: string;
  readonly token: string;
  readonly kiosk: SimKiosk;
  readonly attendant: SimAttendant | null;
  stop(): Promise<void>;
}

export async function startWebShell(opts: WebShellOptions): Promise<WebShell> {
  const started_at = new Date().toISOString();
  const kiosk = await startSimKiosk({ dir: opts.dir, pcscd: opts.pcscd, onNote: opts.onNote, ...(opts.services ? { services: opts.services } : {}), ...(opts.sync ? { sync: opts.sync } : {}) });
  let attendant: SimAttendant | null = null;
  let api: KioskApiServer;
  try {
    if (opts.attendant ?? true) attendant = await startSimAttendant(kiosk, opts.sync ? { sync: opts.sync } : {});
    const maintenance = simMaintenanceSource(kiosk, { app_version: APP_VERSION, self_test_at: started_at });
    const max_event_clients = DEFAULT_MAX_EVENT_CLIENTS;
    api = await startKioskApiServer(kiosk, {
      port: opts.port,
      sim_port: opts.sim_port,
      max_event_clients,
      maintenance,
      more: {
        'POST /api/speak': speakRoute(opts.speaker ?? null),
        'GET /api/maintenance': maintenanceRoute(maintenance),
        ...(attendant ? attendantRoutes(attendant, { max_event_clients }) : {}),
      },
      pages: (urls) =>
        staticSite({
          root: opts.renderer_root ?? RENDERER_DIST,
          index: 'index.html',
          csp: () => rendererCsp(urls.sim_url),
          missing: 'the kiosk UI is not built: run npm run build:renderer',
        }),
      sim: (urls) => ({
        routes: simRoutes(kiosk, { ...(attendant ? { attendant } : {}), api_url: () => urls.api_url }),
        pages: staticSite({ root: SIM_PANEL_DIR, index: 'index.html', csp: () => panelCsp(urls.api_url), missing: 'the simulator panel is missing from this install' }),
      }),
    });
  } catch (err) {
    await attendant?.stop();
    await kiosk.stop();
    throw err;
  }
  const fragment = (station?: 'attendant') => `#${new URLSearchParams({ token: api.token, ...(station ? { station } : {}) })}`;
  return {
    kiosk_url: `${api.url}/${fragment()}`,
    attendant_url: attendant ? `${api.url}/${fragment('attendant')}` : null,
    panel_url: `${api.sim_url}/${fragment()}`,
    api_url: api.url,
    sim_url: api.sim_url!,
    token: api.token,
    kiosk,
    attendant,
    async stop() {
      await api.close();
      await attendant?.stop();
      await kiosk.stop();
    },
  };
}
