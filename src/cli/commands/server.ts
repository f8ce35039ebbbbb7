import type { Command } from 'commander';
import { openBackOfficeDb, redactUrl } from '../../backoffice/db/connect';
import { kioskConfigLine, loadOrCreateBackOfficeKey } from '../../backoffice/downlink/signing-key';
import { assertTimeZone } from '../../backoffice/reconcile/day';
import { startServerNightly, type NightlySchedule } from '../../backoffice/reconcile/nightly';
import { buildServer } from '../../backoffice/server';

// `civicard server`: the back office's HTTP server, on the store named by --db
// (migrated on start), and the nightly reconciliation of the day that ended
// (docs/reconciliation.md) unless --no-nightly. Prints its URL; logs to
// stderr; stops cleanly on SIGINT/SIGTERM.

export const DEFAULT_BACKOFFICE_DB = 'sqlite:civicard-backoffice.db';
export const DEFAULT_REPORTS_DIR = 'civicard-reports';

interface ServerOptions {
  db: string;
  port: string;
  host: string;
  nightly: boolean;
  nightlyAt: string;
  timeZone: string;
  reports: string;
  reconcileNow?: string;
  key?: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the back office: kiosks sync their ledgers to it (docs/sync-protocol.md); reconciles each day at night (docs/reconciliation.md)')
    .option('--db <url>', 'sqlite:FILE, sqlite::memory: or postgres://USER@HOST:PORT/DB', DEFAULT_BACKOFFICE_DB)
    .option('--port <port>', 'port to listen on (0: any free port)', '7400')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--key <file>', "the back office's signing key, made on first start: kiosks are then also sent bundles and hotlists (docs/downlink.md)")
    .option('--nightly-at <HH:MM>', 'local time the day that ended is reconciled', '02:00')
    .option('--time-zone <Area/City>', 'the city’s time zone (IANA name): business days and --nightly-at follow it', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--reports <dir>', 'each night’s reports go to DIR/YYYY-MM-DD', DEFAULT_REPORTS_DIR)
    .option('--no-nightly', 'do not reconcile at night (run civicard reconcile by hand)')
    .option('--reconcile-now <YYYY-MM-DD>', 'also reconcile this day once at start, through the nightly run')
    .action(async (opts: ServerOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${opts.port}"`);
      if (opts.nightly) {
        if (!HH_MM.test(opts.nightlyAt)) throw new Error(`the nightly time must be HH:MM (24 h), not ${opts.nightlyAt}`);
        assertTimeZone(opts.timeZone);
      } else if (opts.reconcileNow !== undefined) {
        throw new Error('--reconcile-now runs through the nightly reconciliation: drop --no-nightly, or use civicard reconcile');
      }
      if (opts.reconcileNow !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.reconcileNow)) throw new Error(`--reconcile-now must be YYYY-MM-DD, not ${opts.reconcileNow}`);
      const store = await openBackOfficeDb(opts.db);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const downlinkKey = opts.key === undefined ? undefined : loadOrCreateBackOfficeKey(opts.key);
      if (downlinkKey !== undefined) process.stdout.write(`kiosk configs take: ${JSON.stringify(kioskConfigLine(downlinkKey.publicKeyPem))}\n`);
      const app = buildServer({ store, log, ...(downlinkKey === undefined ? {} : { downlink: { key: downlinkKey.privateKey } }) });
      try {
        await app.listen({ port, host: opts.host });
      } catch (e) {
        await store.close();
        throw e;
      }
      const { port: bound } = app.server.address() as { port: number };
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      process.stdout.write(`back office listening on http://${host}:${bound} (store: ${redactUrl(opts.db)})\n`);
      let nightly: NightlySchedule | null = null;
      if (opts.nightly) {
        nightly = startServerNightly(store, { at: opts.nightlyAt, time_zone: opts.timeZone, out_root: opts.reports, log });
        if (opts.reconcileNow !== undefined) nightly.runNow(opts.reconcileNow);
      } else log('nightly reconciliation off (--no-nightly): run civicard reconcile by hand');
      await new Promise<void>((done) => {
        const stop = () => {
          nightly?.stop();
          void app.close().then(() => store.close()).finally(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
