import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Sip2Client } from '../../library/client';
import { loadIlsData } from '../../library/ils-data';
import { IlsSimulator } from '../../library/ils-simulator';
import { ILS_PROFILES, isIlsProfileName, type IlsProfileName } from '../../library/profiles';

// `civicard library ils-sim` (an ILS that speaks SIP2 like Koha or Evergreen)
// and `civicard library fines` (staff support: a patron's fines as the kiosk
// would read them, JSON, amounts in minor units). `fines` prints no name,
// address or patron id; nothing here writes patron data anywhere else.

function profileOf(name: string): IlsProfileName {
  if (!isIlsProfileName(name)) throw new Error(`--profile must be one of ${Object.keys(ILS_PROFILES).join(', ')}`);
  return name;
}

function hostPort(value: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error('--sip2 must be HOST:PORT');
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

function credentials(value: string): { user_id: string; password: string } {
  const at = value.indexOf(':');
  if (at <= 0) throw new Error('--login must be USER:PASSWORD');
  return { user_id: value.slice(0, at), password: value.slice(at + 1) };
}

interface FinesOptions {
  sip2: string;
  patron: string;
  login?: string;
  institution: string;
  pin?: string;
  profile: string;
  currency: string;
  tls?: boolean;
  ca?: string;
  errorDetection: boolean;
  timeoutMs: string;
}

async function fines(opts: FinesOptions): Promise<void> {
  const { host, port } = hostPort(opts.sip2);
  const timeout_ms = Number(opts.timeoutMs);
  if (!Number.isInteger(timeout_ms) || timeout_ms <= 0) throw new Error('--timeout-ms must be a positive integer');
  const client = new Sip2Client({
    host,
    port,
    institution_id: opts.institution,
    profile: ILS_PROFILES[profileOf(opts.profile)],
    currency: opts.currency,
    login: opts.login === undefined ? undefined : credentials(opts.login),
    tls: opts.tls === true || opts.ca !== undefined ? { ca: opts.ca === undefined ? undefined : readFileSync(opts.ca) } : undefined,
    error_detection: opts.errorDetection,
    timeout_ms,
  });
  try {
    const result = await client.patronFines(opts.patron, { pin: opts.pin });
    if (result.status !== 'found') {
      process.stdout.write(`${JSON.stringify({ status: result.status })}\n`);
      process.exitCode = 1;
      return;
    }
    const { currency, total_minor, payable, items } = result.fines;
    process.stdout.write(`${JSON.stringify({ status: 'found', pin: result.pin, currency, total_minor, payable, items }, null, 2)}\n`);
  } finally {
    client.close();
  }
}

async function ilsSim(opts: { port: string; host: string; data: string; profile: string; tlsKey?: string; tlsCert?: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
  if ((opts.tlsKey === undefined) !== (opts.tlsCert === undefined)) throw new Error('--tls-key and --tls-cert go together');
  const sim = new IlsSimulator({
    data: loadIlsData(opts.data),
    profile: profileOf(opts.profile),
    tls: opts.tlsKey === undefined ? undefined : { key: readFileSync(opts.tlsKey), cert: readFileSync(opts.tlsCert!) },
  });
  const address = await sim.start(port, opts.host);
  process.stdout.write(`ILS simulator (${sim.profile}${opts.tlsKey === undefined ? '' : ', TLS'}) listening on ${address.host}:${address.port}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void sim.stop().finally(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerLibraryCommands(program: Command): void {
  const library = program.command('library').description('the library service (SIP2)');
  library
    .command('ils-sim')
    .description('run an ILS simulator with patrons and fines that speaks SIP2 over TCP like Koha or Evergreen')
    .requiredOption('--port <n>', 'TCP port (0 picks a free one and prints it)')
    .requiredOption('--data <file>', 'JSON: institution_id, currency, logins, patrons with fines in minor units')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--profile <name>', `how fine items are written: ${Object.keys(ILS_PROFILES).join(', ')}`, 'koha')
    .option('--tls-key <file>', 'serve SIP2 over TLS with this PEM key')
    .option('--tls-cert <file>', '… and this PEM certificate')
    .action(ilsSim);
  library
    .command('fines')
    .description("print a patron's fines and total as JSON, amounts in minor units (library staff support)")
    .requiredOption('--sip2 <host:port>', 'the ILS SIP2 server')
    .requiredOption('--patron <id>', 'patron identifier (barcode)')
    .option('--login <user:pass>', 'SC login (93) before asking')
    .option('--institution <id>', 'institution id (AO)', '')
    .option('--pin <pin>', "the patron's PIN (AD); fines are shown only when it is right")
    .option('--profile <name>', `ILS fine-item format: ${Object.keys(ILS_PROFILES).join(', ')}`, 'koha')
    .option('--currency <code>', 'currency when the ILS names none (BH)', 'USD')
    .option('--tls', 'connect with TLS, trusting the system CAs')
    .option('--ca <file>', 'connect with TLS, trusting this PEM certificate (a self-signed ILS)')
    .option('--no-error-detection', 'send without AY/AZ and accept answers without them')
    .option('--timeout-ms <n>', 'wait this long for each answer', '5000')
    .action(fines);
}
