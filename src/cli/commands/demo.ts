import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runDemoDay } from '../../kiosk/demo/day';
import { simServiceFiles } from '../../kiosk/demo/sim-services';

/** What a previous demo left in its directory; nothing else there is touched. */
const DEMO_FILES = ['kiosk.db', 'kiosk.db-wal', 'kiosk.db-shm', 'kiosk-key.pem', 'attendant.db', 'attendant.db-wal', 'attendant.db-shm', 'attendant-key.pem', 'issuing.db', 'issuing.db-wal', 'issuing.db-shm', 'issuing-key.pem', 'test-keys.json', 'kiosk-config.json', 'attendant-pin-attempts.json', 'api-token', 'print-journal.json', 'receipts', 'cards', 'patrons-pending.json', 'parking-sessions.json', 'citations-paid.json', 'backoffice.db', 'backoffice.db-wal', 'backoffice.db-shm', 'reconciliation'];
const FILES = simServiceFiles();

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a scripted day at a kiosk and an attendant booth through the real code paths, then sync both ledgers to an embedded back office and reconcile the day; leaves the ledgers, decoded receipts and reconciliation in DIR')
    .requiredOption('--out <dir>', 'where to leave kiosk.db, receipts/ and the card states')
    .option('--replace', "remove a previous demo's files from DIR first")
    .option('--no-pcscd', 'tap cards on an in-memory reader instead of through pcscd + vpcd')
    .option('--ils-data <file>', "the ILS simulator's patrons and fines", FILES.ils_data)
    .option('--tariffs <file>', 'CDS tariff file parking is priced from', FILES.tariffs)
    .option('--citations <file>', 'citations file', FILES.citations)
    .action(async (opts: { out: string; pcscd: boolean; replace?: boolean; ilsData: string; tariffs: string; citations: string }) => {
      const out = resolve(opts.out);
      if (existsSync(join(out, 'kiosk.db'))) {
        if (!opts.replace) throw new Error(`${out} already holds a demo; pass --replace to start over, or choose another --out`);
        for (const name of DEMO_FILES) rmSync(join(out, name), { recursive: true, force: true });
      }
      const result = await runDemoDay({ out, pcscd: opts.pcscd, ils_data: opts.ilsData, tariffs: opts.tariffs, citations: opts.citations, say: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(`\nCheck the ledger yourself: npx civicard ledger verify --db ${result.ledger_path} --public-key ${join(out, 'kiosk-key.pem')}\nReceipts: ${out}/receipts\nThe night's reconciliation: ${result.reports_dir}\n`);
      if (!result.ledger_ok || !result.liability_holds) process.exitCode = 1;
    });
}
