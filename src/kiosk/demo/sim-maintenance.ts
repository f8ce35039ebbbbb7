import type { MaintenanceSource } from '../api/maintenance-route';
import type { MaintenanceView } from '../../shared/maintenance-api';
import type { SimKiosk } from './sim-kiosk';

// What the maintenance screen of a simulated kiosk shows, from the kiosk
// itself: the outbox of its ledger, its background sync's last word (when it
// last got through, whether the last try reached the back office, why it
// failed), the risk policy it enforces. No hotlist is delivered to a kiosk
// yet, so its age is unknown (null), not made up.

export interface SimMaintenanceOptions {
  app_version: string;
  /** When the kiosk's crypto self-test ran (at start). */
  self_test_at: string;
}

export function simMaintenanceSource(kiosk: SimKiosk, opts: SimMaintenanceOptions): MaintenanceSource {
  return {
    ledger: kiosk.ledger,
    policy: kiosk.risk_policy,
    versions: { app: opts.app_version, config: null, ledger_schema: kiosk.ledger.db.pragma('user_version', { simple: true }) as number, card_keys: 'test keyset (simulated)' },
    online: () => kiosk.syncStatus()?.reached_server ?? false,
    lastSyncAt: () => kiosk.syncStatus()?.last_success_at ?? null,
    lastSyncError: () => kiosk.syncStatus()?.last_error ?? null,
    hotlistAgeMs: () => null,
    devices: async () => [
      { name: 'card_reader', state: 'ok', detail_key: null },
      { name: 'printer', ...printerDevice((await kiosk.printer.status()).status) },
      { name: 'scanner', state: 'ok', detail_key: null },
      { name: 'network', state: 'ok', detail_key: null },
    ],
    selfTest: () => ({ at: opts.self_test_at, ok: true, failed: [] }),
    now: () => new Date(),
  };
}

function printerDevice(status: string): Pick<MaintenanceView['devices'][number], 'state' | 'detail_key'> {
  if (status === 'ready') return { state: 'ok', detail_key: null };
  if (status === 'paper_near_end') return { state: 'ok', detail_key: 'printer.paper_near_end' };
  return { state: 'fault', detail_key: `printer.${status}` };
}
