import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KioskServiceConfig } from '../../src/kiosk/config/service-config';
import { ensureRendererBuilt } from '../../src/webshell/renderer-build';
import { startWebShell as start, type WebShell } from '../../src/webshell/web-shell';

// The web shell for integration and browser tests: a simulated kiosk (and an
// attendant booth) in a fresh temp dir, the API + built renderer and the
// simulator + panel on free loopback ports. `pcscd: true` taps cards through a
// real pcscd + vpcd (wrap the run in `flock /tmp/civicard-pcscd.lock`).

export interface TestWebShell {
  /** The resident kiosk's page with the token in the fragment: open it in the browser. */
  url: string;
  /** The attendant booth's page with the token in the fragment. */
  attendantUrl: string;
  /** The simulated-devices panel beside the kiosk, token in the fragment. */
  panelUrl: string;
  token: string;
  /** http://127.0.0.1:PORT of the API and the renderer's pages. */
  apiBase: string;
  /** http://127.0.0.1:PORT of the simulator and its panel. */
  simBase: string;
  shell: WebShell;
  /** GET (no body) or POST (JSON body) on the API with the token; the status and parsed JSON. */
  api(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The same on the simulator: sim('/sim/card/present', { card: 'A' }). */
  sim(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

async function call(base: string, token: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
}

export async function startWebShell(opts: { pcscd: boolean; services?: KioskServiceConfig; attendant?: boolean }): Promise<TestWebShell> {
  ensureRendererBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'civicard-webshell-'));
  let shell: WebShell;
  try {
    shell = await start({ dir, pcscd: opts.pcscd, port: 0, sim_port: 0, ...(opts.services ? { services: opts.services } : {}), attendant: opts.attendant ?? true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (opts.pcscd && !shell.kiosk.through_pcscd) {
    await shell.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error('pcscd did not start for the web shell: run bash scripts/setup.sh (pcscd, vsmartcard-vpcd)');
  }
  return {
    url: shell.kiosk_url,
    attendantUrl: shell.attendant_url ?? '',
    panelUrl: shell.panel_url,
    token: shell.token,
    apiBase: shell.api_url,
    simBase: shell.sim_url,
    shell,
    api: (path, body) => call(shell.api_url, shell.token, path, body),
    sim: (path, body) => call(shell.sim_url, shell.token, path, body),
    async stop() {
      await shell.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
