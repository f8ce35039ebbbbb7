import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { checkAttendantCommand, type AttendantCommand, type AttendantView } from '../shared/attendant-api';
import { checkCommand, type KioskCommand, type KioskView, type Language } from '../shared/kiosk-api';
import { checkSpeakRequest, type SpeakRequest } from '../shared/speech-api';
import { checkMaintenanceCommand, type MaintenanceCommand, type MaintenanceView } from '../shared/maintenance-api';
import type { BridgeError, Station } from '../shared/bridge';
import { CHANNELS } from './channels';
import { isAppUrl } from './protocol';

// Every message from the renderer passes here before the core sees it: the
// sender must be a frame of the app itself (civicard://app), and the payload
// must pass its channel's validator. A refusal or a failure is answered as
// `{ error }` — never thrown across IPC (that would put a main-process stack
// in the page) and never handed to the core. The attendant booth's and the
// maintenance screen's channels are more rows of the same table. A row that
// belongs to one station answers only that station's window (when main says
// which window is which): the resident's screen cannot send a booth command.

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface IpcRoute<T = unknown, R = unknown> {
  channel: string;
  /** The station whose window may send this message; any station's when absent. */
  station?: Station;
  validate(payload: unknown): Checked<T>;
  handle(value: T): R | Promise<R>;
}

/** Builds a row with its types tied together. */
export function route<T, R>(r: IpcRoute<T, R>): IpcRoute<unknown, unknown> {
  return r as IpcRoute<unknown, unknown>;
}

/** True when the message comes from a frame showing the app (not a frame that navigated elsewhere, not a destroyed one). */
export function senderIsApp(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame !== undefined && typeof frame.url === 'string' && isAppUrl(frame.url);
}

export const REFUSED_SENDER: BridgeError = { error: 'messages are accepted only from the kiosk app' };
export const FAILED: BridgeError = { error: 'the kiosk could not do that' };

export interface IpcRouteOptions {
  onNote?: (line: string) => void;
  /** Which station's window sent the message (null: none of them); without it, rows are not told apart by station. */
  stationOf?: (event: IpcMainInvokeEvent) => Station | null;
}

/** Registers each route with `ipcMain.handle`; returns the channels, to remove them again. */
export function registerIpcRoutes(ipcMain: Pick<IpcMain, 'handle'>, routes: readonly IpcRoute<unknown, unknown>[], opts: IpcRouteOptions = {}): string[] {
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.channel)) throw new Error(`IPC channel ${r.channel} is registered twice`);
    seen.add(r.channel);
  }
  for (const r of routes) {
    ipcMain.handle(r.channel, async (event, ...args: unknown[]) => {
      if (!senderIsApp(event)) {
        opts.onNote?.(`IPC ${r.channel} refused: sender is not the app`);
        return REFUSED_SENDER;
      }
      if (r.station && opts.stationOf && opts.stationOf(event) !== r.station) {
        opts.onNote?.(`IPC ${r.channel} refused: not sent by the ${r.station} station's window`);
        return { error: `this window is not the ${r.station} station` } satisfies BridgeError;
      }
      if (args.length > 1) return { error: 'one payload per message' } satisfies BridgeError;
      const checked = r.validate(args[0]);
      if (!checked.ok) return { error: checked.error } satisfies BridgeError;
      try {
        return await r.handle(checked.value);
      } catch (err) {
        opts.onNote?.(`IPC ${r.channel} failed: ${err instanceof Error ? err.message : String(err)}`);
        return FAILED;
      }
    });
  }
  return [...seen];
}

const nothing = (payload: unknown): Checked<undefined> => (payload === undefined ? { ok: true, value: undefined } : { ok: false, error: 'this message takes no payload' });

const commandOf = (payload: unknown): Checked<KioskCommand> => {
  const checked = checkCommand(payload);
  return checked.ok ? { ok: true, value: checked.command } : checked;
};

/** Spoken text by the shared contract (speech-api.ts), the same check as the HTTP API's. */
export function checkSpeech(payload: unknown): Checked<SpeakRequest> {
  const checked = checkSpeakRequest(payload);
  return checked.ok ? { ok: true, value: checked.request } : checked;
}

/** What the resident channels need of the kiosk core. */
export interface ResidentPort {
  view(): KioskView;
  apply(command: KioskCommand): KioskView;
}

export interface Speaker {
  speak(text: string, language: Language): Promise<void>;
}

/** The resident UI's channels: state, command and speak (either station's; refused where the kiosk has no voice). */
export function residentRoutes(core: ResidentPort, speaker: Speaker | null): IpcRoute<unknown, unknown>[] {
  return [
    route({ channel: CHANNELS.state, station: 'resident', validate: nothing, handle: () => core.view() }),
    route({ channel: CHANNELS.command, station: 'resident', validate: commandOf, handle: (command) => core.apply(command) }),
    route({
      channel: CHANNELS.speak,
      validate: checkSpeech,
      handle: async ({ text, language }): Promise<{ ok: true } | BridgeError> => {
        if (!speaker) return { error: 'this kiosk has no voice' };
        await speaker.speak(text, language);
        return { ok: true };
      },
    }),
  ];
}

/** What the attendant booth's channels need of the core. */
export interface AttendantPort {
  view(): AttendantView;
  apply(command: AttendantCommand): AttendantView;
  /** Calls `listener` with the view after every change; returns the unsubscribe. */
  subscribe(listener: (view: AttendantView) => void): () => void;
}

/** What the maintenance screen's channels need of the core. */
export interface MaintenancePort {
  view(): Promise<MaintenanceView>;
  apply(command: MaintenanceCommand): Promise<MaintenanceView | BridgeError>;
}

const attendantCommandOf = (payload: unknown): Checked<AttendantCommand> => {
  const checked = checkAttendantCommand(payload);
  return checked.ok ? { ok: true, value: checked.command } : checked;
};

const maintenanceCommandOf = (payload: unknown): Checked<MaintenanceCommand> => {
  const checked = checkMaintenanceCommand(payload);
  return checked.ok ? { ok: true, value: checked.command } : checked;
};

/** The attendant booth's channels: state and command (checkAttendantCommand; a PIN is never echoed). */
export function attendantIpcRoutes(port: AttendantPort): IpcRoute<unknown, unknown>[] {
  return [
    route({ channel: CHANNELS.attendantState, station: 'attendant', validate: nothing, handle: () => port.view() }),
    route({ channel: CHANNELS.attendantCommand, station: 'attendant', validate: attendantCommandOf, handle: (command) => port.apply(command) }),
  ];
}

/** The maintenance screen's channels, on the resident station's window: its view (counts and ages only) and its commands (checkMaintenanceCommand). */
export function maintenanceIpcRoutes(port: MaintenancePort): IpcRoute<unknown, unknown>[] {
  return [
    route({ channel: CHANNELS.maintenanceState, station: 'resident', validate: nothing, handle: () => port.view() }),
    route({ channel: CHANNELS.maintenanceCommand, station: 'resident', validate: maintenanceCommandOf, handle: (command) => port.apply(command) }),
  ];
}
