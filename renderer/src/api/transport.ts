// How the renderer reaches a core: the same three calls over Electron IPC
// (the preload's `window.civicard`) or over HTTP + server-sent events. The
// UI depends on this interface only.
import type { CivicardBridge, MaintenanceAccess } from '../../../src/shared/bridge';
import { checkMaintenanceCommand, type MaintenanceCommand } from '../../../src/shared/maintenance-api';
import type { SpeakRequest } from '../../../src/shared/speech-api';

// The preload's object is typed once, in src/shared/bridge.ts, for the preload and for this side.
export type { CivicardBridge, Station } from '../../../src/shared/bridge';

export interface Transport<View, Command> {
  /** The current view. */
  state(): Promise<View>;
  /** Sends a command; answers with the view after it. Rejects with the core's reason when refused. */
  command(command: Command): Promise<View>;
  /** Every new view, starting with the current one; returns the unsubscribe. */
  subscribe(onView: (view: View) => void, onError?: (error: Error) => void): () => void;
  /** Spoken guidance, played by the core (espeak-ng); absent where the core has no voice. */
  speak?(request: SpeakRequest): Promise<void>;
}

const isMaintenanceCommand = (command: unknown): command is MaintenanceCommand => checkMaintenanceCommand(command).ok;

/**
 * The resident screen sends the maintenance screen's commands with its own
 * (apps.tsx): they go to the maintenance channels, and the answer is the
 * resident view with the maintenance view in it (none after EXIT_MAINTENANCE).
 */
async function maintenanceCommand<View>(bridge: CivicardBridge<View, unknown>, maintenance: MaintenanceAccess, command: MaintenanceCommand): Promise<View> {
  const figures = await maintenance.command(command);
  const view = await bridge.state();
  return { ...view, maintenance: command.type === 'EXIT_MAINTENANCE' ? null : figures } as View;
}

/** The preload bridge as a transport. */
export function ipcTransport<View, Command>(bridge: CivicardBridge<View, Command>): Transport<View, Command> {
  const maintenance = bridge.station === 'resident' ? bridge.maintenance : undefined;
  return {
    state: () => bridge.state(),
    command: (c) => (maintenance && isMaintenanceCommand(c) ? maintenanceCommand(bridge as CivicardBridge<View, unknown>, maintenance, c) : bridge.command(c)),
    subscribe(onView, onError) {
      // The preload pushes changes only; the stream starts with the current view,
      // unless a change arrived first (then the answer is already older).
      let pushed = false;
      let closed = false;
      const unsubscribe = bridge.subscribe((view) => {
        pushed = true;
        onView(view);
      });
      bridge.state().then(
        (view) => {
          if (!pushed && !closed) onView(view);
        },
        (e: unknown) => {
          if (!closed) onError?.(e instanceof Error ? e : new Error(String(e)));
        },
      );
      return () => {
        closed = true;
        unsubscribe();
      };
    },
    ...(bridge.speak ? { speak: (r: SpeakRequest) => bridge.speak!(r) } : {}),
  };
}
