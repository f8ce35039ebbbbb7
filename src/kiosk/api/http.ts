import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimKiosk } from '../demo/sim-kiosk';
import { apiRoutes, DEFAULT_MAX_EVENT_CLIENTS, type Route, type RouteTable } from './api-routes';
import { admit, send } from './doors';
import type { MaintenanceSource } from './maintenance-route';
import { simRoutes } from './sim-routes';
import { newApiToken } from './token';

// The kiosk's typed API over HTTP on loopback, for the UI in a plain browser
// (the web shell) and for anyone driving `civicard kiosk --sim`. Two listeners:
// the API (api-routes.ts) and, only when asked for, the simulated devices
// (sim-routes.ts) on a port of their own. Both sit behind the same doors
// (doors.ts) and the same per-session token, made here at start.

const LOOPBACK = '127.0.0.1';
/** A client has this long to send its whole request (headers and body). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface KioskApiServer {
  readonly url: string;
  /** The simulator's listener, or null when it was not asked for. */
  readonly sim_url: string | null;
  /** The session token every request must present; give it only to the kiosk's own UI and its operator. */
  readonly token: string;
  close(): Promise<void>;
}

interface Listener {
  readonly url: string;
  close(): Promise<void>;
}

/** Pages and their assets, fetched by a browser without the token: every GET outside `private_prefix`. */
export interface Pages {
  readonly private_prefix: string;
  readonly route: Route;
}

async function listen(port: number, token: string, route: Route, opts: { query_token_path?: string; pages?: Pages }): Promise<Listener> {
  const door = { port: 0, token }; // the port is known once bound
  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const page = opts.pages !== undefined && (req.method === 'GET' || req.method === 'HEAD') && !path.startsWith(opts.pages.private_prefix);
    if (!admit(req, res, door, { query_token: req.method === 'GET' && path === opts.query_token_path, open: page })) return;
    (page ? opts.pages!.route : route)(req, res, path).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'the kiosk could not do that' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  door.port = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${door.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface KioskApiOptions {
  port: number;
  sim_port?: number;
  max_event_clients?: number;
  /** Endpoints beside the resident's (the web shell's speech, attendant, maintenance). */
  more?: RouteTable;
  /** The maintenance screen's figures, carried in the resident view while a staff card has it open. */
  maintenance?: MaintenanceSource;
  /**
   * The renderer's pages on the API listener (the web shell). `urls` is filled
   * in as the listeners are bound: read it when a request comes, not before.
   */
  pages?: (urls: Readonly<ListenerUrls>) => Route;
  /** The simulator's listener: its routes and pages (default: sim-routes.ts alone). */
  sim?: (urls: Readonly<ListenerUrls>) => { routes: Route; pages?: Route };
}

export interface ListenerUrls {
  api_url: string;
  sim_url: string | null;
}

/**
 * Serves the API on 127.0.0.1:`port`; with `sim_port`, the simulated devices
 * too, on their own listener (port 0: any free port).
 */
export async function startKioskApiServer(kiosk: SimKiosk, opts: KioskApiOptions): Promise<KioskApiServer> {
  const token = newApiToken();
  const urls: ListenerUrls = { api_url: '', sim_url: null };
  const pages = opts.pages?.(urls);
  const api = await listen(opts.port, token, apiRoutes(kiosk, { max_event_clients: opts.max_event_clients ?? DEFAULT_MAX_EVENT_CLIENTS, more: opts.more, maintenance: opts.maintenance }), {
    query_token_path: '/api/events',
    pages: pages ? { private_prefix: '/api/', route: pages } : undefined,
  });
  urls.api_url = api.url;
  const simParts = opts.sim?.(urls) ?? { routes: simRoutes(kiosk) };
  const sim = opts.sim_port === undefined ? null : await listen(opts.sim_port, token, simParts.routes, { pages: simParts.pages ? { private_prefix: '/sim/', route: simParts.pages } : undefined }).catch(async (err: unknown) => {
    await api.close();
    throw err;
  });
  urls.sim_url = sim?.url ?? null;
  return {
    url: api.url,
    sim_url: sim?.url ?? null,
    token,
    close: async () => {
      await Promise.all([api.close(), sim?.close()]);
    },
  };
}
