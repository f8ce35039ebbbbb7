import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startKioskApiServer } from '../../kiosk/api/http';
import { writeApiTokenFile } from '../../kiosk/api/token-file';
import { serviceConfigOf, type ServiceFlags } from '../../kiosk/config/service-config';
import { startSimKiosk } from '../../kiosk/demo/sim-kiosk';
import { readPlateKeyFile } from '../../shared/plate-key-file';

function portOption(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name} must be a port number, got "${value}"`);
  return port;
}

/** An http(s) URL, or a message saying what was wrong. */
export function serverUrlOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--server must be a URL such as https://backoffice.example:8443, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--server must be an http or https URL, got "${value}"`);
  return url.origin;
}

export function registerKioskCommand(program: Command): void {
  program
    .command('kiosk')
    .description('run the kiosk core headless and serve its typed API on loopback (--sim: simulated card, printer)')
    .option('--sim', 'simulated devices: virtual cards (through pcscd when it can start) and a virtual printer, driven on --sim-port')
    .option('--dir <dir>', 'where the ledger, keys, card states, receipts and the API token file live (default: a new temp dir)')
    .option('--port <port>', 'API port on 127.0.0.1', '7311')
    .option('--sim-port <port>', 'simulator port on 127.0.0.1 (with --sim)', '7312')
    .option('--no-pcscd', 'tap simulated cards on an in-memory reader instead of through pcscd')
    .option('--sip2 <host:port>', 'library fines: the ILS SIP2 server (e.g. `civicard library ils-sim`)')
    .option('--sip2-login <user:pass>', 'SC login (93) at the ILS')
    .option('--institution <id>', 'SIP2 institution id (AO); needed with --sip2')
    .option('--ils-profile <name>', 'how the ILS writes fine items (koha, evergreen, …)')
    .option('--tariffs <file>', 'parking: CDS tariff file the kiosk prices from, offline too (docs/parking-tariffs.md)')
    .option('--citations <file>', 'citations: the file of citations and amounts due (test/fixtures/citations/README.md)')
    .addHelpText('after', '\nWithout --sip2, --tariffs or --citations the kiosk sells the bundled simulators, as `civicard demo` does: library fines from the ILS simulator (SIP2 on a free loopback port, test/fixtures/ils/library.json), parking from test/fixtures/tariffs/chicago-downtown.json, citations from test/fixtures/citations/downtown.json. With any of them it sells only those configured.')
    .option('--server <url>', 'upload the ledger to this back office in the background (the kiosk key in --dir must be enrolled there)')
    .option('--plate-key <file>', "the city's plate key (civicard keys plate-key), taken into the kiosk config at first start; without it a new kiosk makes a key of its own")
    .action(async (opts: { sim?: boolean; dir?: string; port: string; simPort: string; pcscd: boolean; server?: string; plateKey?: string } & ServiceFlags) => {
      if (!opts.sim) throw new Error('only --sim is available until the hardware configuration issue: run `civicard kiosk --sim`');
      const port = portOption('--port', opts.port);
      const sim_port = portOption('--sim-port', opts.simPort);
      const configured = [opts.sip2, opts.sip2Login, opts.institution, opts.ilsProfile, opts.tariffs, opts.citations].some((v) => v !== undefined);
      // Checked before anything starts: a bad flag is named, nothing is created.
      // Without a service flag the kiosk starts the bundled simulators (sim-services.ts).
      const services = configured ? serviceConfigOf(opts, 'USD') : undefined;
      const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'civicard-kiosk-'));
      const sync = opts.server === undefined ? undefined : { serverUrl: serverUrlOption(opts.server) };
      const plate = opts.plateKey === undefined ? {} : { plate_key: readPlateKeyFile(opts.plateKey).plate_key };
      const kiosk = await startSimKiosk({ dir, pcscd: opts.pcscd, onNote: (line) => process.stdout.write(`${line}\n`), ...(services ? { services } : {}), sync, ...plate });
      const api = await startKioskApiServer(kiosk, { port, sim_port });
      // The token goes to a file only its owner can read, never to stdout: the
      // output of a kiosk service ends up in journals other accounts can read.
      const token_path = writeApiTokenFile(dir, api.token);
      const bearer = `-H "authorization: Bearer $(cat '${token_path}')"`;
      process.stdout.write(
        `kiosk ready (cards via ${kiosk.counter.kind}, ledger ${kiosk.ledger_path}, selling ${kiosk.services_label}); API at ${api.url}, simulator at ${api.sim_url}\n` +
          (sync ? `  syncing the ledger to ${sync.serverUrl} in the background\n` : '') +
          `  API token for this session (Authorization: Bearer, or ?token= on /api/events): ${token_path}\n` +
          `  try: curl -s ${bearer} -H 'content-type: application/json' -XPOST ${api.sim_url}/sim/card/present -d '{"card":"A"}'; curl -s ${bearer} ${api.url}/api/state\n`,
      );
      await new Promise<void>((done) => {
        const stop = () =>
          void api
            .close()
            .then(() => kiosk.stop())
            .then(() => rmSync(token_path, { force: true }))
            .finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
