import type { KioskCommand, KioskView, Language } from './kiosk-api';

// What the Electron preload puts on the page as `window.civicard`: the kiosk
// contract (kiosk-api.ts) across IPC, and nothing else. Every call is checked
// again in the main process; a refusal comes back as a value, never a throw.

/** A refusal: the command was malformed, or the core could not do it. */
export interface BridgeError {
  error: string;
}

export interface CivicardBridge {
  /** The current view. */
  state(): Promise<KioskView>;
  /** Sends a command; answers the view after it, or why it was refused. */
  command(command: KioskCommand): Promise<KioskView | BridgeError>;
  /** Calls `listener` with every new view; returns the unsubscribe. */
  subscribe(listener: (view: KioskView) => void): () => void;
  /** Speaks `text` aloud in `language` (spoken guidance); absent where the kiosk has no voice. */
  speak?(text: string, language: Language): Promise<{ ok: true } | BridgeError>;
}

export function isBridgeError(value: unknown): value is BridgeError {
  return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'string';
}

declare global {
  interface Window {
    civicard?: CivicardBridge;
  }
}
