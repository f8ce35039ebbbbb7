import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type Database from 'better-sqlite3';
import { openLedgerDatabase } from '../../ledger/db';
import { rowToEntry, type EntryRow } from '../../ledger/entry';
import { loadPublicKey } from '../../ledger/kiosk-key';
import { verifyLedger } from '../../ledger/verify';

// `civicard ledger verify` and `civicard ledger export`. Both open the ledger
// read-only. Verify prints one line and exits 0 (intact), 1 (broken: names the
// first bad entry) or 2 (could not check: no file, unreadable, wrong schema).

function openReadOnly(path: string): Database.Database {
  if (!existsSync(path)) throw new Error(`no ledger at ${path}`);
  return openLedgerDatabase(path, { readonly: true });
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("a kiosk's tamper-evident ledger");
  ledger
    .command('verify')
    .description('check sequence, hash chain and signatures; names the first bad entry (exit 1)')
    .requiredOption('--db <file>', 'ledger database')
    .option('--public-key <file>', 'the enrolled kiosk public key (PEM) to check against; without it, the key stored in the ledger is used')
    .action((opts: { db: string; publicKey?: string }) => {
      let db: Database.Database;
      let key;
      try {
        key = opts.publicKey === undefined ? undefined : loadPublicKey(opts.publicKey);
        db = openReadOnly(opts.db);
      } catch (e) {
        process.stderr.write(`ledger UNCHECKED: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const result = verifyLedger(db, key);
        const against = key === undefined ? 'the key stored in the ledger (not an enrolled key)' : 'the enrolled key';
        if (result.ok) {
          process.stdout.write(`ledger OK: ${result.count} entries, chain and signatures verified against ${against} (last hash ${result.last_hash.slice(0, 16)}…)\n`);
        } else {
          const where = result.firstBad === 0 ? 'BROKEN' : `BROKEN at entry ${result.firstBad}`;
          process.stdout.write(`ledger ${where}: ${result.reason}\n`);
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
    .option('--since <seq>', 'only entries after this sequence number', '0')
    .action(async (opts: { db: string; since: string }) => {
      const since = Number(opts.since);
      if (!Number.isSafeInteger(since) || since < 0) throw new Error(`--since must be a sequence number, not ${opts.since}`);
      const db = openReadOnly(opts.db);
      try {
        for (const row of db.prepare('SELECT * FROM entries WHERE seq > ? ORDER BY seq').iterate(since) as Iterable<EntryRow>) {
          if (!process.stdout.write(`${JSON.stringify(rowToEntry(row))}\n`)) await once(process.stdout, 'drain');
        }
      } finally {
        db.close();
      }
    });
}
