import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCommand, type KioskView, type Language } from '../../shared/kiosk-api';
import { checkMaintenanceCommand, type MaintenanceCommand } from '../../shared/maintenance-api';
import type { ResidentKiosk } from '../runtime/resident-kiosk';
import { readJsonBody, send, streamViews } from './doors';
import { applyMaintenanceCommand } from './maintenance-command';
import { MaintenanceFigures } from './maintenance-figures';
import type { MaintenanceSource } from './maintenance-route';
import { viewOf } from './view';

//   GET  /api/state     the KioskView
//   GET  /api/events    the KioskView as server-sent events, on every change
//   POST /api/command   a KioskCommand, or while a staff card has the maintenance screen open a
//                       MaintenanceCommand (validated; 400 with a reason otherwise, 409 when refused)

export const DEFAULT_MAX_EVENT_CLIENTS = 8;

/** What the API needs of a kiosk, simulated or not. */
export interface KioskCore {
  readonly actor: ResidentKiosk;
  language: Language;
}

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
/** More endpoints beside the resident's, by "METHOD /path" (e.g. "POST /api/speak"); see src/webshell. */
export type RouteTable = Readonly<Record<string, Route>>;

/** `maintenance`: where the maintenance screen's figures come from; without it that screen shows none. */
export function apiRoutes(kiosk: KioskCore, opts: { max_event_clients: number; more?: RouteTable; maintenance?: MaintenanceSource }): Route {
  // every open stream's push, so a change outside the machine (the language, new maintenance figures) reaches them too
  const streams = new Set<() => void>();
  const figures = opts.maintenance ? new MaintenanceFigures(opts.maintenance, kiosk.actor, () => streams.forEach((push) => push())) : null;
  const view = (): KioskView => viewOf(kiosk.actor.getSnapshot(), kiosk.language, figures?.latest() ?? null);

  const maintenanceCommand = async (command: MaintenanceCommand): Promise<{ status: number; body: unknown }> => {
    const refused = await applyMaintenanceCommand(kiosk.actor, opts.maintenance, figures, command);
    return refused ? { status: 409, body: refused } : { status: 200, body: view() };
  };

  return async (req, res, path) => {
    if (req.method === 'GET' && path === '/api/state') return send(res, 200, view());
    if (req.method === 'GET' && path === '/api/events') return streamViews(res, { streams, max: opts.max_event_clients, view, actor: kiosk.actor });
    if (req.method === 'POST' && path === '/api/command') {
      const body = await readJsonBody(req, res);
      if (!body) return;
      const checked = checkCommand(body.value);
      if (!checked.ok) {
        const staff = checkMaintenanceCommand(body.value);
        if (!staff.ok) return send(res, 400, { error: checked.error });
        const answer = await maintenanceCommand(staff.command);
        return send(res, answer.status, answer.body);
      }
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
