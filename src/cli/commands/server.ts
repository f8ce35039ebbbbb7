import type { Command } from 'commander';
import { openBackOfficeDb, redactUrl } from '../../backoffice/db/connect';
import { kioskConfigLine, loadOrCreateBackOfficeKey } from '../../backoffice/downlink/signing-key';
import { buildServer } from '../../backoffice/server';

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
    .option('--key <file>', "the back office's signing key, made on first start: kiosks are then also sent bundles and hotlists (docs/downlink.md)")
    .action(async (opts: { db: string; port: string; host: string; key?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${opts.port}"`);
      const store = await openBackOfficeDb(opts.db);
      const downlinkKey = opts.key === undefined ? undefined : loadOrCreateBackOfficeKey(opts.key);
      if (downlinkKey !== undefined) process.stdout.write(`kiosk configs take: ${JSON.stringify(kioskConfigLine(downlinkKey.publicKeyPem))}\n`);
      const app = buildServer({
        store,
        log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
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
      await new Promise<void>((done) => {
        const stop = () => void app.close().then(() => store.close()).finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
