import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { enrollKiosk, findKiosk, type KioskRecord } from '../backoffice/auth/enrollment';
import { kioskIdOf } from '../backoffice/auth/request-signing';
import type { BackOfficeStore } from '../backoffice/db/connect';
import { loadOrCreateKioskKey } from '../ledger';

// `civicard start` runs the back office in the same process as the simulated
// kiosk and booth, so it enrolls their keys itself (as `civicard admin enroll`
// would) before they start syncing. A key already known is left as it is: a
// kiosk an admin revoked stays revoked across restarts.

/** The simulated stations' key files in their directory (sim-kiosk.ts, sim-attendant.ts). */
export const SIM_STATION_KEYS = [
  { file: 'kiosk-key.pem', name: 'simulated kiosk (East Branch Library)' },
  { file: 'attendant-key.pem', name: 'simulated attendant booth (Lot 4)' },
] as const;

/** The kiosk's and the booth's records, in that order; their keys are created in `dir` when missing. */
export async function enrollSimStations(store: BackOfficeStore, dir: string): Promise<KioskRecord[]> {
  mkdirSync(dir, { recursive: true });
  const records: KioskRecord[] = [];
  for (const { file, name } of SIM_STATION_KEYS) {
    const key = loadOrCreateKioskKey(join(dir, file));
    const known = await findKiosk(store, kioskIdOf(key.publicKeyPem));
    records.push(known ?? (await enrollKiosk(store, { publicKeyPem: key.publicKeyPem, name, by: 'civicard start' })));
  }
  return records;
}
