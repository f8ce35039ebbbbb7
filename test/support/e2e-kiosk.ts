import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { startKioskApiServer } from '../../src/kiosk/api/http';
import type { KioskServiceConfig } from '../../src/kiosk/config/service-config';
import { startSimKiosk, type SimKiosk } from '../../src/kiosk/demo/sim-kiosk';
import type { KioskView } from '../../src/shared/kiosk-api';
import { RENDERER_DIST } from './renderer-page';

// The kiosk the end-to-end tests drive in Chromium: the simulated kiosk
// (cards through real pcscd + vpcd, the printer simulator on a socat pty) with
// its loopback API and simulator listeners, the renderer loaded from the API's
// own origin with the session token in the URL fragment.

export interface E2eKiosk {
  readonly apiBase: string;
  readonly simBase: string;
  readonly token: string;
  /** Where the ledger (kiosk.db) and the printed receipts (receipts/*.txt) are. */
  readonly dir: string;
  /** The page the kiosk's screen loads. */
  url(station?: 'resident' | 'attendant'): string;
  /** Whatever the page needs before it loads the url. */
  preparePage(page: Page): Promise<void>;
  /** The next card commit is torn right after the card ran it: the kiosk never hears the answer. */
  tearAtNextCommit(): Promise<void>;
  stop(): Promise<void>;
}

export async function startE2eKiosk(opts: { services?: KioskServiceConfig } = {}): Promise<E2eKiosk> {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-e2e-'));
  const notes: string[] = [];
  const kiosk: SimKiosk = await startSimKiosk({ dir, pcscd: true, onNote: (n) => notes.push(n), ...(opts.services ? { services: opts.services } : {}) });
  if (!kiosk.through_pcscd) {
    await kiosk.stop();
    throw new Error(`the end-to-end tests tap cards through pcscd + vpcd, which did not start (${notes.join('; ')}): run bash scripts/setup.sh`);
  }
  const api = await startKioskApiServer(kiosk, { port: 0, sim_port: 0 });
  const apiBase = api.url;
  return {
    apiBase,
    simBase: api.sim_url!,
    token: api.token,
    dir,
    url: (station = 'resident') => `${apiBase}/index.html#token=${api.token}&station=${station}&api=${encodeURIComponent(apiBase)}`,
    async preparePage(page) {
      // The renderer from the API's origin (what the web shell will serve), the API itself passed through.
      await page.route(`${apiBase}/**`, async (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path.startsWith('/api/')) return route.fallback();
        const file = join(RENDERER_DIST, path === '/' ? 'index.html' : path.slice(1));
        if (!file.startsWith(RENDERER_DIST)) return route.fulfill({ status: 404 });
        const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
        await route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
      });
    },
    tearAtNextCommit: async () => kiosk.counter.tearAfterNextCommit(),
    async stop() {
      await api.close();
      await kiosk.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The kiosk's API and simulator, as the tests call them. */
export function kioskClient(kiosk: Pick<E2eKiosk, 'apiBase' | 'simBase' | 'token' | 'dir'>) {
  const call = async (base: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${kiosk.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    state: async () => (await call(kiosk.apiBase, '/api/state')) as unknown as KioskView,
    tap: (card: string) => call(kiosk.simBase, '/sim/card/present', { card }),
    pull: () => call(kiosk.simBase, '/sim/card/withdraw', {}),
    /** Money rows in the kiosk's ledger (read-only, beside the running kiosk). */
    money(): { tx_id: string; direction: 'debit' | 'credit'; amount_minor: number }[] {
      const db = new Database(join(kiosk.dir, 'kiosk.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT tx_id, direction, amount_minor FROM money ORDER BY seq').all() as { tx_id: string; direction: 'debit' | 'credit'; amount_minor: number }[];
      } finally {
        db.close();
      }
    },
    /** The text of every receipt the printer simulator printed. */
    receipts(): string[] {
      const out = join(kiosk.dir, 'receipts');
      let files: string[] = [];
      try {
        files = readdirSync(out).filter((f) => f.endsWith('.txt')).sort();
      } catch {
        return [];
      }
      return files.map((f) => readFileSync(join(out, f), 'utf8'));
    },
  };
}
