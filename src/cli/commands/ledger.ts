import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openLedgerDatabase } from '../../ledger/db';
import { rowToEntry } from '../../ledger/ledger';
import { verifyLedger } from '../../ledger/verify';

function openReadOnly(path: string) {
  if (!existsSync(path)) throw new Error(`no ledger at ${path}`);
  return openLedgerDatabase(path, { readonly: true });
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("a kiosk's tamper-evident ledger");
  ledger
    .command('verify')
    .description('check sequence, hash chain and signatures; names the first bad entry (exit 1)')
    .requiredOption('--db <file>', 'ledger database')
    .option('--public-key <file>', 'the enrolled kiosk public key (PEM) to check against')
    .action((opts: { db: string; publicKey?: string }) => {
      const db = openReadOnly(opts.db);
      try {
        const key = opts.publicKey ? createPublicKey(readFileSync(opts.publicKey)) : undefined;
        const result = verifyLedger(db, key);
        if (result.ok) {
          process.stdout.write(`ledger OK: ${result.count} entries, chain and signatures verified (last hash ${result.last_hash.slice(0, 16)}…)\n`);
        } else {
          process.stdout.write(`ledger BROKEN at entry ${result.first_bad_seq}: ${result.reason} (${result.count_good} entries before it are good)\n`);
          process.exitCode = 1;
        }
      } finally {
        db.close();
      }
    });
  ledger
    .command('export')
    .description('print every entry as one JSON line, oldest first')
    .requiredOption('--db <file>', 'ledger database')
    .action((opts: { db: string }) => {
      const db = openReadOnly(opts.db);
      try {
        for (const row of db.prepare('SELECT * FROM entries ORDER BY seq').iterate() as Iterable<Parameters<typeof rowToEntry>[0]>) {
          process.stdout.write(`${JSON.stringify(rowToEntry(row))}\n`);
        }
      } finally {
        db.close();
      }
    });
}
