import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startKioskApiServer } from '../../kiosk/api/http';
import { startSimKiosk } from '../../kiosk/demo/sim-kiosk';

export function registerKioskCommand(program: Command): void {
  program
    .command('kiosk')
    .description('run the kiosk core headless and serve its typed API on loopback (--sim: simulated card, printer)')
    .option('--sim', 'simulated devices: virtual cards (through pcscd when it can start) and a virtual printer')
    .option('--dir <dir>', 'where the ledger, keys, card states and receipts live (default: a new temp dir)')
    .option('--port <port>', 'API port on 127.0.0.1', '7311')
    .option('--no-pcscd', 'tap simulated cards on an in-memory reader instead of through pcscd')
    .action(async (opts: { sim?: boolean; dir?: string; port: string; pcscd: boolean }) => {
      if (!opts.sim) throw new Error('only --sim is available until the hardware configuration issue: run `civicard kiosk --sim`');
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got "${opts.port}"`);
      const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'civicard-kiosk-'));
      const kiosk = await startSimKiosk({ dir, pcscd: opts.pcscd, onNote: (line) => process.stdout.write(`${line}\n`) });
      const api = await startKioskApiServer(kiosk, { port });
      process.stdout.write(
        `kiosk ready (cards via ${kiosk.counter.kind}, ledger ${kiosk.ledger_path}); API at ${api.url}\n` +
          `  try: curl -s -XPOST ${api.url}/sim/card/present -d '{"card":"A"}'; curl -s ${api.url}/api/state\n`,
      );
      await new Promise<void>((done) => {
        const stop = () => void api.close().then(() => kiosk.stop()).finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
