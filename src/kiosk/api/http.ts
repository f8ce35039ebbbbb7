import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCommand, type KioskView } from '../../shared/kiosk-api';
import type { SimKiosk } from '../demo/sim-kiosk';
import { viewOf } from './view';

// The kiosk's typed API over HTTP on loopback, for the UI in a plain browser
// (the web shell) and for anyone driving `civicard kiosk --sim`:
//   GET  /api/state            the KioskView
//   GET  /api/events           the KioskView as server-sent events, on every change
//   POST /api/command          a KioskCommand (validated; 400 with a reason otherwise)
//   POST /sim/card/present     {"card": "<label>"} taps a simulated card (issued on first use)
//   POST /sim/card/withdraw    takes it away
//   POST /sim/printer/paper    {"paper": "ok" | "near_end" | "out"}

const MAX_BODY_BYTES = 4_096;

export interface KioskApiServer {
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c); // the rest is drained, not kept
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new Error(`request body too large (over ${MAX_BODY_BYTES} bytes)`));
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export async function startKioskApiServer(kiosk: SimKiosk, opts: { port: number; host?: string }): Promise<KioskApiServer> {
  const view = (): KioskView => viewOf(kiosk.actor.getSnapshot(), kiosk.language);
  const cards = new Map<string, Awaited<ReturnType<SimKiosk['issueCard']>>>();
  let presented: string | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/api/state') return send(res, 200, view());
    if (req.method === 'GET' && path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      const push = () => res.write(`data: ${JSON.stringify(view())}\n\n`);
      push();
      const sub = kiosk.actor.subscribe(push);
      req.on('close', () => sub.unsubscribe());
      return;
    }
    if (req.method !== 'POST') return send(res, 404, { error: 'no such endpoint' });
    const body = await readJson(req);
    if (path === '/api/command') {
      const checked = checkCommand(body);
      if (!checked.ok) return send(res, 400, { error: checked.error });
      const command = checked.command;
      if (command.type === 'SET_LANGUAGE') kiosk.language = command.language;
      else kiosk.actor.send(command);
      return send(res, 200, view());
    }
    if (path === '/sim/card/present') {
      const label = (body as { card?: unknown }).card;
      if (typeof label !== 'string' || !/^[A-Za-z0-9-]{1,20}$/.test(label)) return send(res, 400, { error: '"card" must be a short label such as "A"' });
      if (presented) return send(res, 409, { error: `card ${presented} is still on the reader` });
      let card = cards.get(label);
      if (!card) {
        card = await kiosk.issueCard(`card-${label}`, 2_000);
        cards.set(label, card);
      }
      await kiosk.counter.hand(card.card).present();
      presented = label;
      return send(res, 200, { presented: label, masked_serial: card.masked_serial });
    }
    if (path === '/sim/card/withdraw') {
      const card = presented ? cards.get(presented) : undefined;
      if (!card) return send(res, 409, { error: 'no card on the reader' });
      await kiosk.counter.hand(card.card).withdraw();
      presented = null;
      return send(res, 200, { withdrawn: true });
    }
    if (path === '/sim/printer/paper') {
      const paper = (body as { paper?: unknown }).paper;
      if (paper !== 'ok' && paper !== 'near_end' && paper !== 'out') return send(res, 400, { error: '"paper" must be ok, near_end or out' });
      kiosk.printerSim.setPaper(paper);
      return send(res, 200, { paper });
    }
    return send(res, 404, { error: 'no such endpoint' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 400, { error: err instanceof Error ? err.message : 'bad request' }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
