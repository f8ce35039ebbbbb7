import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isBridgeError, stationOfArgv, type AttendantBridge, type ResidentBridge, type Station } from '../shared/bridge';
import type { SpeakRequest } from '../shared/speech-api';
import { CHANNELS } from './channels';

// The only thing the page gets from the preload: `window.civicard` (the type in
// src/shared/bridge.ts), for the station main launched this window as
// (`--civicard-station=…` in its arguments), with functions on that station's
// fixed channels. No ipcRenderer, no event objects (their `sender` would hand
// the page ipcRenderer itself), no Node. Main answers a refusal as `{ error }`;
// here it becomes a rejected Error with main's reason, as the renderer expects.

/** The part of ipcRenderer the bridge uses. */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, view: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, view: unknown) => void): unknown;
}
type Ipc = BridgeIpc;

async function call<T>(ipc: Ipc, channel: string, ...payload: unknown[]): Promise<T> {
  const answer: unknown = await ipc.invoke(channel, ...payload);
  if (isBridgeError(answer)) throw new Error(answer.error);
  return answer as T;
}

function listen<T>(ipc: Ipc, channel: string, onView: (view: T) => void): () => void {
  // what main sends on a view channel is that station's view (main.ts)
  const listener = (_event: IpcRendererEvent, view: unknown) => onView(view as T);
  ipc.on(channel, listener);
  return () => void ipc.removeListener(channel, listener);
}

const speakOver = (ipc: Ipc) => async (request: SpeakRequest) => void (await call(ipc, CHANNELS.speak, { text: request.text, language: request.language }));

export function residentBridge(ipc: Ipc) {
  return {
    station: 'resident',
    state: () => call(ipc, CHANNELS.state),
    command: (command) => call(ipc, CHANNELS.command, command),
    subscribe: (onView) => listen(ipc, CHANNELS.view, onView),
    speak: speakOver(ipc),
    maintenance: {
      state: () => call(ipc, CHANNELS.maintenanceState),
      command: (command) => call(ipc, CHANNELS.maintenanceCommand, command),
    },
  } satisfies ResidentBridge;
}

export function attendantBridge(ipc: Ipc) {
  return {
    station: 'attendant',
    state: () => call(ipc, CHANNELS.attendantState),
    command: (command) => call(ipc, CHANNELS.attendantCommand, command),
    subscribe: (onView) => listen(ipc, CHANNELS.attendantView, onView),
    speak: speakOver(ipc),
  } satisfies AttendantBridge;
}

/** Puts the station's bridge on the page; a station argument it does not know exposes nothing (the page then shows no kiosk). */
export function exposeStationBridge(argv: readonly string[]): Station | null {
  const station = stationOfArgv(argv);
  if (station === null) return null;
  contextBridge.exposeInMainWorld('civicard', station === 'attendant' ? attendantBridge(ipcRenderer) : residentBridge(ipcRenderer));
  return station;
}

exposeStationBridge(process.argv);
