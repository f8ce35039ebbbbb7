import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runDemoDay } from '../../kiosk/demo/day';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a scripted day at a kiosk through the real code paths; leaves the ledger and decoded receipts in DIR')
    .requiredOption('--out <dir>', 'where to leave kiosk.db, receipts/ and the card states')
    .option('--no-pcscd', 'tap cards on an in-memory reader instead of through pcscd + vpcd')
    .action(async (opts: { out: string; pcscd: boolean }) => {
      const out = resolve(opts.out);
      const result = await runDemoDay({ out, pcscd: opts.pcscd, say: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(`\nCheck the ledger yourself: npx civicard ledger verify --db ${result.ledger_path}\nReceipts: ${out}/receipts\n`);
      if (!result.ledger_ok) process.exitCode = 1;
    });
}
