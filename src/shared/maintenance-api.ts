// The maintenance screen's contract: what a member of staff sees after
// presenting a staff card at a kiosk (devices, sync, offline limits,
// versions, self-test) and the few things they may ask for. Nothing about any
// resident or transaction beyond counts and ages.

export type DeviceState = 'ok' | 'fault' | 'absent';
export const DEVICE_NAMES = ['card_reader', 'printer', 'scanner', 'network'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

export interface MaintenanceView {
  /** The masked serial of the staff card that opened the screen. */
  staff_masked_serial: string;
  devices: { name: DeviceName; state: DeviceState; detail_key: string | null }[];
  sync: {
    online: boolean;
    /** Ledger entries in the outbox the back office has not acknowledged. */
    unsynced_entries: number;
    /** Age of the oldest of them, null when there are none. */
    oldest_unsynced_age_ms: number | null;
    unsynced_debits_minor: number;
    /** When the back office last acknowledged everything it was sent; null before the first time. */
    last_sync_at: string | null;
    /** Why the last sync attempt failed (the network, the server busy, a refusal); null after a success. */
    last_error: string | null;
    /** Age of the hotlist in force; null when this kiosk has none. */
    hotlist_age_ms: number | null;
  };
  /** The offline risk limits from the signed config (DESIGN §7). */
  limits: { offline_tx_max_minor: number; unsynced_cap_minor: number; daily_card_max_minor: number; hotlist_max_age_ms: number };
  versions: { app: string; config: string | null; ledger_schema: number | null; card_keys: string | null };
  self_test: { at: string; ok: boolean; failed: string[] } | null;
}

export type MaintenanceCommand = { type: 'RUN_SELF_TEST' } | { type: 'SYNC_NOW' } | { type: 'EXIT_MAINTENANCE' };
export type MaintenanceCommandCheck = { ok: true; command: MaintenanceCommand } | { ok: false; error: string };

const TYPES = new Set(['RUN_SELF_TEST', 'SYNC_NOW', 'EXIT_MAINTENANCE']);

export function checkMaintenanceCommand(input: unknown): MaintenanceCommandCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a command is a JSON object with a "type"' };
  const type = (input as Record<string, unknown>).type;
  if (typeof type !== 'string') return { ok: false, error: 'a command needs a "type"' };
  if (!TYPES.has(type)) return { ok: false, error: `unknown command "${type.slice(0, 40)}"` };
  return { ok: true, command: { type } as MaintenanceCommand };
}
