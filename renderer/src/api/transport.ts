// How the renderer reaches a core: the same three calls over Electron IPC
// (the preload's `window.civicard`) or over HTTP + server-sent events. The
// UI depends on this interface only.
import type { SpeakRequest } from '../../../src/shared/speech-api';

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

/** What the Electron preload exposes as `window.civicard` (contextBridge). */
export interface CivicardBridge<View = unknown, Command = unknown> {
  readonly station: 'resident' | 'attendant';
  state(): Promise<View>;
  command(command: Command): Promise<View>;
  subscribe(onView: (view: View) => void): () => void;
  speak?(request: SpeakRequest): Promise<void>;
}

declare global {
  interface Window {
    civicard?: CivicardBridge;
  }
}

/** The preload bridge as a transport. */
export function ipcTransport<View, Command>(bridge: CivicardBridge<View, Command>): Transport<View, Command> {
  return {
    state: () => bridge.state(),
    command: (c) => bridge.command(c),
    subscribe: (onView) => bridge.subscribe(onView),
    ...(bridge.speak ? { speak: (r: SpeakRequest) => bridge.speak!(r) } : {}),
  };
}
