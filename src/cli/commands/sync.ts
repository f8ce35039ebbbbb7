import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { KioskLedger, loadOrCreateKioskKey, type KioskKey } from '../../ledger';
import { syncOnce, SyncUnreachableError, type SyncReport } from '../../sync/client';
import { serverUrlOption } from './kiosk';

// `civicard sync`: one sync run by hand (docs/sync-protocol.md), for a kiosk
// whose background sync is off or stuck. Prints one JSON object: what was
// sent and how far the back office acknowledged. Exit 0 only when the whole
// ledger is acknowledged; 1 when the back office refused (staff must look);
// 2 when it did not answer or cannot take them now (nothing that was not
// acknowledged is marked).

const EXIT = { done: 0, refused: 1, unreachable: 2 } as const;

/** The kiosk key: --key, else kiosk-key.pem beside the ledger (as `civicard kiosk` keeps it), else LEDGER.key.pem. Never made here. */
function kioskKeyFor(ledger: string, key?: string): KioskKey {
  const candidates = key !== undefined ? [key] : [join(dirname(ledger), 'kiosk-key.pem'), `${ledger}.key.pem`];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`no kiosk key at ${candidates.join(' or ')}: pass --key FILE (the key that signs this ledger)`);
  return loadOrCreateKioskKey(found);
}

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description("send the back office the ledger entries it has not acknowledged; prints JSON, exit 0 when all are acknowledged, 1 refused, 2 no answer or not now")
    .requiredOption('--ledger <file>', "the kiosk's ledger database")
    .requiredOption('--server <url>', 'the back office, e.g. https://backoffice.example:8443')
    .option('--key <file>', "the kiosk's key (default: kiosk-key.pem beside the ledger)")
    .option('--timeout-ms <ms>', 'per request', '10000')
    .action(async (opts: { ledger: string; server: string; key?: string; timeoutMs: string }) => {
      const serverUrl = serverUrlOption(opts.server);
      const timeoutMs = Number(opts.timeoutMs);
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new Error(`--timeout-ms must be a positive number of milliseconds, not ${opts.timeoutMs}`);
      if (!existsSync(opts.ledger)) throw new Error(`no ledger at ${opts.ledger}`);
      const key = kioskKeyFor(opts.ledger, opts.key);
      const ledger = KioskLedger.open(opts.ledger, key);
      try {
        let report: SyncReport;
        try {
          report = await syncOnce({ ledger, serverUrl, key, timeoutMs });
        } catch (e) {
          if (!(e instanceof SyncUnreachableError)) throw e;
          if (e.progress) process.stdout.write(`${JSON.stringify(e.progress)}\n`);
          const what = e.answered ? 'cannot take the entries now' : 'did not answer';
          process.stderr.write(`civicard: the back office at ${serverUrl} ${what}: ${e.message}; what it did not acknowledge stays in the outbox for the next sync\n`);
          process.exitCode = EXIT.unreachable;
          return;
        }
        process.stdout.write(`${JSON.stringify(report)}\n`);
        if (report.refused) {
          process.stderr.write(`civicard: the back office at ${serverUrl} refused this kiosk's entries (${report.refused.error}): ${report.refused.message}; they stay in the outbox, staff must look before syncing again\n`);
          process.exitCode = EXIT.refused;
        } else if (report.pending > 0) {
          process.stderr.write(`civicard: ${report.pending} entries are still not acknowledged\n`);
          process.exitCode = EXIT.unreachable;
        } else process.exitCode = EXIT.done;
      } finally {
        ledger.close();
      }
    });
}
