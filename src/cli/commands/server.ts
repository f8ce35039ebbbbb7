import { join } from 'node:path';
import type { Command } from 'commander';
import { openBackOfficeDb, redactUrl } from '../../backoffice/db/connect';
import { reconcileDay } from '../../backoffice/reconcile/run';
import { kioskConfigLine, loadOrCreateBackOfficeKey } from '../../backoffice/downlink/signing-key';
import { purgeParking } from '../../backoffice/parking/lookup';
import { buildServer } from '../../backoffice/server';
import { daysOption, DEFAULT_PARKING_RETENTION_DAYS } from './parking-admin';

// `civicard server`: the back office's HTTP server, on the store named by --db
// (migrated on start). Prints its URL; stops cleanly on SIGINT/SIGTERM.

export const DEFAULT_BACKOFFICE_DB = 'sqlite:civicard-backoffice.db';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the back office: kiosks sync their ledgers to it (docs/sync-protocol.md)')
    .option('--db <url>', 'sqlite:FILE, sqlite::memory: or postgres://USER@HOST:PORT/DB', DEFAULT_BACKOFFICE_DB)
    .option('--port <port>', 'port to listen on (0: any free port)', '7400')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--time-zone <zone>', 'the back office time zone (IANA), for business days on the dashboard', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--reports <dir>', 'reconciliation output, one folder per day (DIR/YYYY-MM-DD), shown and downloadable on the dashboard', 'reconciliation')
    .option('--secure-cookies', 'mark dashboard cookies Secure: set when the dashboard is reached over HTTPS (e.g. behind a TLS proxy)')
    .option('--key <file>', "the back office's signing key, made on first start: kiosks are then also sent bundles and hotlists (docs/downlink.md), and administrators manage both on the dashboard")
    .option('--parking-retention-days <n>', 'parking sessions are deleted this many days after they end (at start, then daily)', String(DEFAULT_PARKING_RETENTION_DAYS))
    .action(async (opts: { db: string; port: string; host: string; timeZone: string; reports: string; secureCookies?: boolean; key?: string; parkingRetentionDays: string }) => {
      const port = Number(opts.port);
      const older_than_days = daysOption(opts.parkingRetentionDays);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${opts.port}"`);
      try {
        new Intl.DateTimeFormat('en', { timeZone: opts.timeZone });
      } catch {
        throw new Error(`--time-zone must be an IANA time zone such as America/Chicago, not ${opts.timeZone}`);
      }
      const store = await openBackOfficeDb(opts.db);
      const downlinkKey = opts.key === undefined ? undefined : loadOrCreateBackOfficeKey(opts.key);
      if (downlinkKey !== undefined) process.stdout.write(`kiosk configs take: ${JSON.stringify(kioskConfigLine(downlinkKey.publicKeyPem))}\n`);
      const app = buildServer({
        store,
        log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
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
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const purge = () =>
        void purgeParking(store, { older_than_days, now: new Date() })
          .then((r) => log(`parking retention (${older_than_days} days): ${r.purged} sessions purged`))
          .catch((e: unknown) => log(`parking retention failed: ${e instanceof Error ? e.message : String(e)}`));
      purge();
      const daily = setInterval(purge, 24 * 3_600_000);
      daily.unref();
      await new Promise<void>((done) => {
        const stop = () => {
          clearInterval(daily);
          void app.close().then(() => store.close()).finally(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
