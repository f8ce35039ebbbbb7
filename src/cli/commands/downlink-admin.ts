import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openBackOfficeDb, type BackOfficeStore } from '../../backoffice/db/connect';
import { KyselyDownlinkRepository } from '../../backoffice/downlink/kysely-repository';
import { changeHotlist, publishBundle } from '../../backoffice/downlink/publish';
import { createBackOfficeKey, kioskConfigLine, loadOrCreateBackOfficeKey } from '../../backoffice/downlink/signing-key';
import { DEFAULT_BACKOFFICE_DB } from './server';

// `civicard admin backoffice-key | publish-bundle | hotlist`: what the back
// office sends kiosks (docs/downlink.md). Each publish and each hotlist change
// is the next version; kiosks pick it up at their next poll.

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dbOption = ['--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB] as const;
const keyOption = ['--key <file>', "the back office's signing key (PKCS#8 PEM, made by backoffice-key)"] as const;

async function withStore<T>(url: string, fn: (store: BackOfficeStore) => Promise<T>): Promise<T> {
  const store = await openBackOfficeDb(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function registerDownlinkAdminCommands(admin: Command): void {
  admin
    .command('backoffice-key')
    .description("make the back office's signing key (never replaces one); prints the public key for kiosk configs")
    .requiredOption('--out <file>', 'where to write the private key (0600)')
    .action((opts: { out: string }) => {
      print(kioskConfigLine(createBackOfficeKey(opts.out).publicKeyPem));
    });
  admin
    .command('publish-bundle')
    .description('sign a config bundle (tariffs, fee rules, offline limits, ILS profile) as the next version')
    .option(...dbOption)
    .requiredOption(...keyOption)
    .requiredOption('--file <contents.json>', 'the bundle contents: { tariffs?, fee_rules?, offline_limits?, ils_profile? }')
    .action(async (opts: { db: string; key: string; file: string }) => {
      let contents: unknown;
      try {
        contents = JSON.parse(readFileSync(opts.file, 'utf8'));
      } catch (e) {
        throw new Error(`${opts.file}: ${e instanceof SyntaxError ? 'not valid JSON' : e instanceof Error ? e.message : String(e)}`);
      }
      const key = loadOrCreateBackOfficeKey(opts.key);
      const bundle = await withStore(opts.db, (store) => publishBundle(KyselyDownlinkRepository.on(store.db), key.privateKey, contents));
      print({ version: bundle.version, issued_at: bundle.issued_at, parts: Object.keys(bundle.contents).sort() });
    });
  const hotlist = admin.command('hotlist').description('put a card on the hotlist or take it off (each change is the next version)');
  for (const action of ['add', 'remove'] as const) {
    hotlist
      .command(action)
      .description(action === 'add' ? 'hotlist a card: kiosks refuse it from their next poll' : 'take a card off the hotlist')
      .option(...dbOption)
      .requiredOption('--card-ref <ref>', 'the card reference (32 hex digits), as the back office shows it')
      .action(async (opts: { db: string; cardRef: string }) => {
        const version = await withStore(opts.db, (store) => changeHotlist(KyselyDownlinkRepository.on(store.db), action, opts.cardRef));
        print({ version, action, card_ref: opts.cardRef });
      });
  }
}
