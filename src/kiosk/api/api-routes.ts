import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCommand, type KioskView, type Language } from '../../shared/kiosk-api';
import type { ResidentKiosk } from '../runtime/resident-kiosk';
import { readJsonBody, SECURITY_HEADERS, send } from './doors';
import { viewOf } from './view';

//   GET  /api/state     the KioskView
//   GET  /api/events    the KioskView as server-sent events, on every change
//   POST /api/command   a KioskCommand (validated; 400 with a reason otherwise)

export const DEFAULT_MAX_EVENT_CLIENTS = 8;

/** What the API needs of a kiosk, simulated or not. */
export interface KioskCore {
  readonly actor: ResidentKiosk;
  language: Language;
}

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
/** More endpoints beside the resident's, by "METHOD /path" (e.g. "POST /api/speak"); see src/webshell. */
export type RouteTable = Readonly<Record<string, Route>>;

export function apiRoutes(kiosk: KioskCore, opts: { max_event_clients: number; more?: RouteTable }): Route {
  const view = (): KioskView => viewOf(kiosk.actor.getSnapshot(), kiosk.language);
  // every open stream's push, so a change outside the machine (the language) reaches them too
  const streams = new Set<() => void>();

  return async (req, res, path) => {
    if (req.method === 'GET' && path === '/api/state') return send(res, 200, view());
    if (req.method === 'GET' && path === '/api/events') {
      if (streams.size >= opts.max_event_clients) {
        return send(res, 503, { error: `too many event streams open (at most ${opts.max_event_clients}): close one first` }, { close: true, headers: { 'retry-after': '5' } });
      }
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      const push = () => void res.write(`data: ${JSON.stringify(view())}\n\n`);
      streams.add(push);
      push();
      const sub = kiosk.actor.subscribe(push);
      res.on('close', () => {
        streams.delete(push);
        sub.unsubscribe();
      });
      return;
    }
    if (req.method === 'POST' && path === '/api/command') {
      const body = await readJsonBody(req, res);
      if (!body) return;
      const checked = checkCommand(body.value);
      if (!checked.ok) return send(res, 400, { error: checked.error });
      const command = checked.command;
      if (command.type === 'SET_LANGUAGE') {
        kiosk.language = command.language;
        for (const push of streams) push();
      } else kiosk.actor.send(command);
      return send(res, 200, view());
    }
    const more = opts.more?.[`${req.method} ${path}`];
    if (more) return more(req, res, path);
    return send(res, 404, { error: 'no such endpoint' });
  };
}
