import { join } from 'node:path';
import type { Command } from 'commander';
import { openBackOfficeDb, redactUrl } from '../../backoffice/db/connect';
import { reconcileDay } from '../../backoffice/reconcile/run';
import { kioskConfigLine, loadOrCreateBackOfficeKey } from '../../backoffice/downlink/signing-key';
import { purgeParking } from '../../backoffice/parking/lookup';
import { assertTimeZone } from '../../backoffice/reconcile/day';
import { startServerNightly, type NightlySchedule } from '../../backoffice/reconcile/nightly';
import { buildServer } from '../../backoffice/server';
import { daysOption, DEFAULT_PARKING_RETENTION_DAYS } from './parking-admin';

// `civicard server`: the back office's HTTP server, on the store named by --db
// (migrated on start), and the nightly reconciliation of the day that ended
// (docs/reconciliation.md) unless --no-nightly. Prints its URL; logs to
// stderr; stops cleanly on SIGINT/SIGTERM.

export const DEFAULT_BACKOFFICE_DB = 'sqlite:civicard-backoffice.db';
export const DEFAULT_REPORTS_DIR = 'reconciliation';

interface ServerOptions {
  db: string;
  port: string;
  host: string;
  timeZone: string;
  reports: string;
  secureCookies?: boolean;
  key?: string;
  parkingRetentionDays: string;
  nightly: boolean;
  nightlyAt: string;
  reconcileNow?: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the back office: kiosks sync their ledgers to it (docs/sync-protocol.md); reconciles each day at night (docs/reconciliation.md)')
    .option('--db <url>', 'sqlite:FILE, sqlite::memory: or postgres://USER@HOST:PORT/DB', DEFAULT_BACKOFFICE_DB)
    .option('--port <port>', 'port to listen on (0: any free port)', '7400')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--time-zone <zone>', 'the city’s time zone (IANA): business days on the dashboard and for the nightly reconciliation', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--reports <dir>', 'reconciliation output, one folder per day (DIR/YYYY-MM-DD), shown and downloadable on the dashboard', DEFAULT_REPORTS_DIR)
    .option('--secure-cookies', 'mark dashboard cookies Secure: set when the dashboard is reached over HTTPS (e.g. behind a TLS proxy)')
    .option('--key <file>', "the back office's signing key, made on first start: kiosks are then also sent bundles and hotlists (docs/downlink.md), and administrators manage both on the dashboard")
    .option('--parking-retention-days <n>', 'parking sessions are deleted this many days after they end (at start, then daily)', String(DEFAULT_PARKING_RETENTION_DAYS))
    .option('--nightly-at <HH:MM>', 'local time the day that ended is reconciled into --reports', '02:00')
    .option('--no-nightly', 'do not reconcile at night (run civicard reconcile by hand)')
    .option('--reconcile-now <YYYY-MM-DD>', 'also reconcile this day once at start, through the nightly run')
    .action(async (opts: ServerOptions) => {
      const port = Number(opts.port);
      const older_than_days = daysOption(opts.parkingRetentionDays);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${opts.port}"`);
      try {
        assertTimeZone(opts.timeZone);
      } catch {
        throw new Error(`--time-zone must be an IANA time zone such as America/Chicago, not ${opts.timeZone}`);
      }
      if (opts.nightly) {
        if (!HH_MM.test(opts.nightlyAt)) throw new Error(`the nightly time must be HH:MM (24 h), not ${opts.nightlyAt}`);
      } else if (opts.reconcileNow !== undefined) {
        throw new Error('--reconcile-now runs through the nightly reconciliation: drop --no-nightly, or use civicard reconcile');
      }
      if (opts.reconcileNow !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.reconcileNow)) throw new Error(`--reconcile-now must be YYYY-MM-DD, not ${opts.reconcileNow}`);
      const store = await openBackOfficeDb(opts.db);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const downlinkKey = opts.key === undefined ? undefined : loadOrCreateBackOfficeKey(opts.key);
      if (downlinkKey !== undefined) process.stdout.write(`kiosk configs take: ${JSON.stringify(kioskConfigLine(downlinkKey.publicKeyPem))}\n`);
      const app = buildServer({
        store,
        log,
        dashboard: {
          time_zone: opts.timeZone,
          reports_dir: opts.reports,
          secure_cookies: opts.secureCookies === true,
          actions: { reconcile: async (date) => void (await reconcileDay(store, { date, time_zone: opts.timeZone, out: join(opts.reports, date) })) },
        },
        ...(downlinkKey === undefined ? {} : { downlink: { key: downlinkKey.privateKey } }),
      });
      try {
        await app.listen({ port, host: opts.host });
      } catch (e) {
        await store.close();
        throw e;
      }
      const { port: bound } = app.server.address() as { port: number };
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      process.stdout.write(`back office listening on http://${host}:${bound} (store: ${redactUrl(opts.db)})\n`);
      const purge = () =>
        void purgeParking(store, { older_than_days, now: new Date() })
          .then((r) => log(`parking retention (${older_than_days} days): ${r.purged} sessions purged`))
          .catch((e: unknown) => log(`parking retention failed: ${e instanceof Error ? e.message : String(e)}`));
      purge();
      const daily = setInterval(purge, 24 * 3_600_000);
      daily.unref();
      let nightly: NightlySchedule | null = null;
      // Signal handlers first, so a stop asked for as soon as the nightly line is out is a clean one.
      const stopped = new Promise<void>((done) => {
        const stop = () => {
          clearInterval(daily);
          nightly?.stop();
          void app.close().then(() => store.close()).finally(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (opts.nightly) {
        nightly = startServerNightly(store, { at: opts.nightlyAt, time_zone: opts.timeZone, out_root: opts.reports, log });
        if (opts.reconcileNow !== undefined) nightly.runNow(opts.reconcileNow);
      } else log('nightly reconciliation off (--no-nightly): run civicard reconcile by hand');
      await stopped;
    });
}
