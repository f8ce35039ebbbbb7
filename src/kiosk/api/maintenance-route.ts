import type { MaintenanceView } from '../../shared/maintenance-api';
import type { KioskLedger } from '../../ledger';
import type { RiskPolicy } from '../runtime/risk';
import type { Route } from './api-routes';
import { send } from './doors';

//   GET /api/maintenance   the MaintenanceView of this kiosk: devices, sync (the ledger's outbox),
//                          offline limits, versions, self-test. Counts and ages only: no entry, no card.

/** The outbox is read in one page: a kiosk that far behind shows this many and staff see it must sync. */
export const OUTBOX_COUNT_CAP = 100_000;

export interface MaintenanceSource {
  readonly ledger: Pick<KioskLedger, 'pendingOutbox' | 'unsyncedTotalMinor'>;
  readonly policy: RiskPolicy;
  readonly versions: MaintenanceView['versions'];
  /** Whether the last sync attempt reached the back office. */
  online(): boolean;
  lastSyncAt(): string | null;
  lastSyncError(): string | null;
  hotlistAgeMs(): number | null;
  devices(): Promise<MaintenanceView['devices']>;
  selfTest(): MaintenanceView['self_test'];
  now(): Date;
  /** RUN_SELF_TEST: runs the self-test again (`selfTest()` then answers it); absent, the command is refused. */
  runSelfTest?(): Promise<void>;
  /** SYNC_NOW: a sync attempt now, answering why not when it cannot; absent, the command is refused. */
  syncNow?(): Promise<{ error: string } | null>;
}

export async function maintenanceViewOf(src: MaintenanceSource, staff_masked_serial: string): Promise<MaintenanceView> {
  const pending = src.ledger.pendingOutbox(OUTBOX_COUNT_CAP);
  const oldest = pending[0];
  const { offline_tx_max_minor, unsynced_cap_minor, daily_card_max_minor, hotlist_max_age_ms } = src.policy;
  return {
    staff_masked_serial,
    devices: await src.devices(),
    sync: {
      online: src.online(),
      unsynced_entries: pending.length,
      oldest_unsynced_age_ms: oldest ? Math.max(0, src.now().getTime() - Date.parse(oldest.at)) : null,
      unsynced_debits_minor: src.ledger.unsyncedTotalMinor('debit'),
      last_sync_at: src.lastSyncAt(),
      last_error: src.lastSyncError(),
      hotlist_age_ms: src.hotlistAgeMs(),
    },
    limits: { offline_tx_max_minor, unsynced_cap_minor, daily_card_max_minor, hotlist_max_age_ms },
    versions: src.versions,
    self_test: src.selfTest(),
  };
}

/** Reached with the session token only (the operator), not through a staff card: no staff serial to show. */
export function maintenanceRoute(src: MaintenanceSource): Route {
  return async (_req, res) => send(res, 200, await maintenanceViewOf(src, ''));
}
