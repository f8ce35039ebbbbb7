import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { enrollKiosk, listKiosks, revokeKiosk } from '../../backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeStore } from '../../backoffice/db/connect';
import { registerDownlinkAdminCommands } from './downlink-admin';
import { registerLostCardAdminCommand } from './lost-card-admin';
import { DEFAULT_BACKOFFICE_DB } from './server';

// `civicard admin …`: the back office's kiosk register. Enrolling reads the
// kiosk's public key from its own ledger (read-only), so what is approved is
// exactly the key that signs that ledger.

/** The kiosk public key (PEM) a kiosk ledger carries. */
export function kioskPublicKeyOfLedger(path: string): string {
  if (!existsSync(path)) throw new Error(`no kiosk ledger at ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new Error(`${path} is not a Civicard kiosk ledger (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'kiosk_public_key'").get() as { value: string } | undefined;
    if (row === undefined) throw new Error(`${path} is a Civicard ledger without a kiosk key yet: start the kiosk once so it signs its ledger, then enroll it`);
    return row.value;
  } catch (e) {
    if (e instanceof Error && /no such table|not a database|file is not a database/i.test(e.message)) throw new Error(`${path} is not a Civicard kiosk ledger (it has no kiosk key)`);
    throw e;
  } finally {
    db.close();
  }
}

async function withStore<T>(url: string, fn: (store: BackOfficeStore) => Promise<T>): Promise<T> {
  const store = await openBackOfficeDb(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dbOption = ['--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB] as const;

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description("the back office's kiosk register (enroll, revoke, list), what it sends kiosks (key, bundles, hotlist) and lost cards");
  admin
    .command('enroll')
    .description("approve the kiosk whose key signs this ledger; prints {kiosk_id, name, status}")
    .option(...dbOption)
    .requiredOption('--ledger <file>', "the kiosk's ledger database (opened read-only)")
    .option('--name <name>', 'a name staff recognise, e.g. "Central Library lobby"')
    .action(async (opts: { db: string; ledger: string; name?: string }) => {
      const publicKeyPem = kioskPublicKeyOfLedger(opts.ledger);
      const kiosk = await withStore(opts.db, (store) => enrollKiosk(store, { publicKeyPem, name: opts.name ?? null, by: 'cli' }));
      print({ kiosk_id: kiosk.kiosk_id, name: kiosk.name, status: kiosk.status });
    });
  admin
    .command('revoke')
    .description("refuse a kiosk's requests from now on (its entries already held stay)")
    .option(...dbOption)
    .requiredOption('--kiosk <id>', 'kiosk_id, as enroll printed it')
    .action(async (opts: { db: string; kiosk: string }) => {
      const kiosk = await withStore(opts.db, (store) => revokeKiosk(store, opts.kiosk));
      print({ kiosk_id: kiosk.kiosk_id, name: kiosk.name, status: kiosk.status });
    });
  admin
    .command('kiosks')
    .description('list enrolled and revoked kiosks, one JSON line each')
    .option(...dbOption)
    .action(async (opts: { db: string }) => {
      for (const kiosk of await withStore(opts.db, listKiosks)) print(kiosk);
    });
  registerDownlinkAdminCommands(admin);
  registerLostCardAdminCommand(admin);
}
