import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { startKioskApiServer, type KioskApiServer } from '../../../src/kiosk/api/http';
import { startSimKiosk, type SimKiosk } from '../../../src/kiosk/demo/sim-kiosk';

// A simulated kiosk (in-memory reader, no pcscd) in a temp dir, its loopback API,
// and raw HTTP requests whose every header — Host and Origin included — the test sets.

export interface KioskUnderTest {
  kiosk: SimKiosk;
  api: KioskApiServer;
  stop(): Promise<void>;
}

export async function startKioskUnderTest(opts: { max_event_clients?: number } = {}): Promise<KioskUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-kiosk-api-'));
  const kiosk = await startSimKiosk({ dir, pcscd: false });
  const api = await startKioskApiServer(kiosk, { port: 0, sim_port: 0, ...opts });
  return {
    kiosk,
    api,
    stop: async () => {
      await api.close();
      await kiosk.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown>;
}

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'OPTIONS';
  headers?: Record<string, string>;
  body?: string;
}

/** One request on its own connection; `headers` are sent exactly as given on top of Node's Host default. */
export function call(url: string, path: string, c: Call = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: c.method ?? (c.body === undefined ? 'GET' : 'POST'), headers: c.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

export function authorized(token: string, more: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...more };
}

export const JSON_TYPE = { 'content-type': 'application/json' };

/** Taps a freshly issued card on the kiosk's reader and waits for the balance screen. */
export async function presentCard(kiosk: SimKiosk): Promise<void> {
  const card = await kiosk.issueCard('card-T', 2_000);
  await kiosk.counter.hand(card.card).present();
  await waitFor(kiosk.actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
}
