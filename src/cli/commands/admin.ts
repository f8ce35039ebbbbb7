import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { enrollKiosk, listKiosks, revokeKiosk } from '../../backoffice/auth/enrollment';
import { addUser, disableUser, ROLES, type UserRole } from '../../backoffice/auth/users';
import { openBackOfficeDb, type BackOfficeStore } from '../../backoffice/db/connect';
import { registerDownlinkAdminCommands } from './downlink-admin';
import { registerLostCardAdminCommand } from './lost-card-admin';
import { registerParkingAdminCommands } from './parking-admin';
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

/**
 * A password from a file (its first line) or from stdin: typed at a terminal
 * (not echoed), or the first line piped in. Never from the command line, where
 * other users and the shell history would see it.
 */
export async function readPassword(file: string | undefined, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (file !== undefined) return firstLine(readFileSync(file, 'utf8'));
  if (input.isTTY) return promptHidden(input);
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return firstLine(Buffer.concat(chunks).toString('utf8'));
}

const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? '';

function promptHidden(input: NodeJS.ReadStream): Promise<string> {
  process.stderr.write('Password (not shown): ');
  input.setRawMode(true);
  input.resume();
  let typed = '';
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          return resolve(typed);
        }
        if (ch === '\u0003') {
          done();
          return reject(new Error('cancelled'));
        }
        typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
      }
    };
    const done = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    input.on('data', onData);
  });
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dbOption = ['--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB] as const;

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description("the back office's kiosk register (enroll, revoke, list), what it sends kiosks (key, bundles, hotlist), the dashboard's staff accounts, parking enforcement lookup and retention, and lost cards");
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
  const user = admin.command('user').description("the dashboard's staff accounts (docs/dashboard.md)");
  user
    .command('add')
    .description('add a dashboard account; the password is read from --password-file or stdin, never from the command line')
    .option(...dbOption)
    .requiredOption('--username <name>', 'lower-case letters, digits, dot, dash, underscore')
    .requiredOption('--role <role>', 'finance (reads everything) or administrator (also enrolls, revokes, publishes, reconciles)')
    .option('--password-file <file>', 'read the password from the first line of this file (else stdin)')
    .action(async (opts: { db: string; username: string; role: string; passwordFile?: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new Error(`--role must be finance or administrator, not ${opts.role}`);
      const password = await readPassword(opts.passwordFile);
      const added = await withStore(opts.db, (store) => addUser(store, { username: opts.username, password, role: opts.role as UserRole }));
      print({ username: added.username, role: added.role });
    });
  user
    .command('disable')
    .description('refuse this account from now on and end its sessions')
    .option(...dbOption)
    .requiredOption('--username <name>', 'the account')
    .action(async (opts: { db: string; username: string }) => {
      const done = await withStore(opts.db, (store) => disableUser(store, opts.username));
      print({ username: done.username, role: done.role, disabled: done.disabled });
    });
  admin
    .command('kiosks')
    .description('list enrolled and revoked kiosks, one JSON line each')
    .option(...dbOption)
    .action(async (opts: { db: string }) => {
      for (const kiosk of await withStore(opts.db, listKiosks)) print(kiosk);
    });
  registerDownlinkAdminCommands(admin);
  registerParkingAdminCommands(admin);
  registerLostCardAdminCommand(admin);
}
