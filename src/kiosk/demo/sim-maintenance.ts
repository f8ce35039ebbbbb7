import type { PrinterStatusName } from '../../../hardware/printer/types';
import { runBuiltInSelftest } from '../../card/selftest';
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
  let self_test: NonNullable<MaintenanceView['self_test']> = { at: opts.self_test_at, ok: true, failed: [] };
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
    selfTest: () => self_test,
    // The card crypto's known answers again (the sim's devices have no self-test of their own).
    async runSelfTest() {
      const report = runBuiltInSelftest();
      self_test = { at: new Date().toISOString(), ok: report.ok, failed: [...new Set(report.outcomes.filter((o) => !o.passed).map((o) => o.section))] };
    },
    // The ledger syncs in the background on its own schedule (src/sync): no attempt on demand yet.
    syncNow: async () => ({ error: kiosk.syncStatus() ? 'the ledger syncs in the background on its own schedule; sync on demand is not available yet' : 'this kiosk has no back office to sync to' }),
    now: () => new Date(),
  };
}

function printerDevice(status: PrinterStatusName): Pick<MaintenanceView['devices'][number], 'state' | 'detail_key'> {
  if (status === 'ready') return { state: 'ok', detail_key: null };
  if (status === 'paper_near_end') return { state: 'ok', detail_key: 'printer.paper_near_end' };
  return { state: 'fault', detail_key: `printer.${status}` };
}
