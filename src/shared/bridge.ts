import type { AttendantCommand, AttendantView } from './attendant-api';
import type { KioskCommand, KioskView } from './kiosk-api';
import type { MaintenanceCommand, MaintenanceView } from './maintenance-api';
import type { SpeakRequest } from './speech-api';

// What the Electron preload puts on the page as `window.civicard`, and what the
// renderer reads there: one type for both sides. Every call is checked again
// in the main process; main answers a refusal as `{ error }` and the preload
// turns it into a rejected Error carrying the core's reason.

export const STATIONS = ['resident', 'attendant'] as const;
export type Station = (typeof STATIONS)[number];

/** The launch argument main gives each window (`additionalArguments`) to say which station it shows. */
export const STATION_ARG_PREFIX = '--civicard-station=';

/** The maintenance screen's view and commands (the resident station's window only). */
export interface MaintenanceAccess {
  state(): Promise<MaintenanceView>;
  /** Rejects with the core's reason when refused (SYNC_NOW while the ledger syncs on its own). */
  command(command: MaintenanceCommand): Promise<MaintenanceView>;
}

export interface CivicardBridge<View = unknown, Command = unknown> {
  /** Which station this window shows. */
  readonly station: Station;
  /** The current view. */
  state(): Promise<View>;
  /** Sends a command; answers the view after it. Rejects with the core's reason when refused. */
  command(command: Command): Promise<View>;
  /** Calls `onView` with every new view of this station; returns the unsubscribe. */
  subscribe(onView: (view: View) => void): () => void;
  /** Spoken guidance, played by the core (espeak-ng); rejects where the kiosk has no voice. */
  speak?(request: SpeakRequest): Promise<void>;
  /** The maintenance screen's channels, on the resident station only. */
  readonly maintenance?: MaintenanceAccess;
}

export type ResidentBridge = CivicardBridge<KioskView, KioskCommand> & { readonly station: 'resident'; readonly maintenance: MaintenanceAccess };
export type AttendantBridge = CivicardBridge<AttendantView, AttendantCommand> & { readonly station: 'attendant'; readonly maintenance?: undefined };
/** What one window's preload exposes. */
export type StationBridge = ResidentBridge | AttendantBridge;

/** How main answers a refusal across IPC (never a throw: that would show a main-process message to the page). */
export interface BridgeError {
  error: string;
}

export function isBridgeError(value: unknown): value is BridgeError {
  return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'string';
}

/** The station named in a window's launch arguments: resident when none is given, null when one is malformed, unknown or given twice. */
export function stationOfArgv(argv: readonly string[]): Station | null {
  const given = argv.filter((a) => a.startsWith(STATION_ARG_PREFIX)).map((a) => a.slice(STATION_ARG_PREFIX.length));
  if (given.length === 0) return 'resident';
  if (given.length > 1) return null;
  return (STATIONS as readonly string[]).includes(given[0]!) ? (given[0] as Station) : null;
}

declare global {
  interface Window {
    civicard?: CivicardBridge;
  }
}
