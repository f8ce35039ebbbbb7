import { checkAttendantCommand, type AttendantView } from '../../shared/attendant-api';
import type { Language } from '../../shared/kiosk-api';
import type { AttendantStation } from '../runtime/attendant-station';
import type { RouteTable } from './api-routes';
import { readJsonBody, send, streamViews } from './doors';
import { attendantViewOf } from './attendant-view';

// The attendant station's UI over the same listener as the resident's, under /api/attendant:
//   GET  /api/attendant/state     the AttendantView
//   GET  /api/attendant/events    the AttendantView as server-sent events, on every change
//   POST /api/attendant/command   an AttendantCommand (checked; 400 with a reason otherwise; a PIN is never echoed)

export function attendantRoutes(station: { readonly actor: AttendantStation }, opts: { max_event_clients: number; language?: Language }): RouteTable {
  let language: Language = opts.language ?? 'en';
  const view = (): AttendantView => attendantViewOf(station.actor.getSnapshot(), language);
  const streams = new Set<() => void>();
  return {
    'GET /api/attendant/state': async (_req, res) => send(res, 200, view()),
    'GET /api/attendant/events': async (_req, res) => streamViews(res, { streams, max: opts.max_event_clients, view, actor: station.actor }),
    'POST /api/attendant/command': async (req, res) => {
      const body = await readJsonBody(req, res);
      if (!body) return;
      const checked = checkAttendantCommand(body.value);
      if (!checked.ok) return send(res, 400, { error: checked.error });
      const command = checked.command;
      if (command.type === 'SET_LANGUAGE') {
        language = command.language;
        for (const push of streams) push();
      } else station.actor.send(command);
      return send(res, 200, view());
    },
  };
}
