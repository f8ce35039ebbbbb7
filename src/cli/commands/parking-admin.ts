import type { Command } from 'commander';
import { openBackOfficeDb } from '../../backoffice/db/connect';
import { lookupPlate, purgeParking } from '../../backoffice/parking/lookup';
import { parseInstant } from '../../parking/wall-clock';
import { readPlateKeyFile } from '../../shared/plate-key-file';
import { DEFAULT_BACKOFFICE_DB } from './server';

// `civicard admin plate-lookup` and `purge-parking`: enforcement's question and
// the retention of parking sessions, on the back-office store. Staff only: the
// server answers no such question to anyone.

export const DEFAULT_PARKING_RETENTION_DAYS = 30;

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

export function daysOption(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 3_650) throw new Error(`the number of days must be a whole number from 1 to 3650, got "${value}"`);
  return days;
}

export function registerParkingAdminCommands(admin: Command): void {
  admin
    .command('plate-lookup')
    .description('has this plate paid to park (in this zone) at this instant? prints {at, paid, sessions:[{zone, space, start, end}], other_key_sessions}')
    .option('--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB)
    .requiredOption('--plate-key <file>', "the city's plate key file (civicard keys plate-key)")
    .requiredOption('--plate <plate>', 'the plate as read (spaces and dashes ignored)')
    .option('--zone <zone>', "the zone's curb_zone_id (any zone when absent)")
    .option('--at <iso>', 'the instant, ISO 8601 with offset (default now)')
    .action(async (opts: { db: string; plateKey: string; plate: string; zone?: string; at?: string }) => {
      const at_ms = opts.at === undefined ? Date.now() : parseInstant(opts.at);
      if (at_ms === null) throw new Error(`--at must be an ISO 8601 time with an offset, e.g. 2025-07-09T10:30:00-05:00, got "${opts.at}"`);
      const { plate_key } = readPlateKeyFile(opts.plateKey);
      const store = await openBackOfficeDb(opts.db);
      try {
        print(await lookupPlate(store, { plate_key, plate: opts.plate, at: new Date(at_ms), ...(opts.zone === undefined ? {} : { zone: opts.zone }) }));
      } finally {
        await store.close();
      }
    });
  admin
    .command('purge-parking')
    .description('delete parking sessions that ended more than N days ago (the server also does it daily); prints {purged, evidence_purged}')
    .option('--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB)
    .option('--older-than-days <n>', 'retention in days', String(DEFAULT_PARKING_RETENTION_DAYS))
    .action(async (opts: { db: string; olderThanDays: string }) => {
      const older_than_days = daysOption(opts.olderThanDays);
      const store = await openBackOfficeDb(opts.db);
      try {
        print(await purgeParking(store, { older_than_days, now: new Date() }));
      } finally {
        await store.close();
      }
    });
}
