import type { Command } from 'commander';
import { issueCard } from '../../card/issuance';
import { loadKeyVault } from '../../card/keys/keyset-file';
import { Purse } from '../../card/purse';
import { loadKioskConfig } from '../../kiosk/config/kiosk-config';
import { issueRecorded } from '../../kiosk/runtime/issuing-desk';
import { RuntimeLedger } from '../../kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../ledger';
import { newTxId } from '../../shared/ids';
import { withCardOnReader } from '../reader';
import { registerCardDemoCommand } from './card-demo';

const DEFAULT_LIMIT_MINOR = 50_000;
const TEST_KEYS_HELP = 'accept a test-only keyset from `civicard keys generate` (simulated cards and tests; never for real money)';

function parseCents(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`${what} must be a whole number of cents, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) throw new Error(`${what} is too large: ${value}`);
  return n;
}

export function registerCardCommands(program: Command): void {
  const card = program.command('card').description('issue and inspect stored-value cards on a PC/SC reader');

  card
    .command('issue')
    .description('personalize a blank card in the reader: application, diversified keys, files, opening balance')
    .requiredOption('--keys <file>', 'master keyset (from `civicard keys generate`)')
    .option('--test-keys', TEST_KEYS_HELP)
    .option('--balance <cents>', 'opening balance in cents, recorded in the desk\'s ledger (needs --ledger and --config)', '0')
    .option('--ledger <file>', 'the issuing desk\'s ledger (SQLite); created with its key beside it (<file>.key.pem) when new')
    .option('--config <file>', 'the kiosk configuration holding the card-reference key (kiosk-config.json)')
    .option('--limit <cents>', 'most the card may ever hold, in cents', String(DEFAULT_LIMIT_MINOR))
    .option('--reader <name>', 'reader name (or part of it); default: the first reader with a card')
    .option('--timeout <seconds>', 'how long to wait for a card', '10')
    .action(async (opts: { keys: string; testKeys?: boolean; balance: string; limit: string; ledger?: string; config?: string; reader?: string; timeout: string }) => {
      const vault = loadKeyVault(opts.keys, { simulated: opts.testKeys === true });
      const opening_balance_minor = parseCents(opts.balance, '--balance');
      const limit_minor = parseCents(opts.limit, '--limit');
      if (opening_balance_minor > 0 && (!opts.ledger || !opts.config)) {
        throw new Error('an opening balance is money: give the issuing desk\'s --ledger FILE and the --config FILE with the card-reference key, so that it is recorded');
      }
      const request = { opening_balance_minor, limit_minor, program_id: 1, valid_years: 5 };
      const ledger = opts.ledger ? RuntimeLedger.open(opts.ledger, loadOrCreateKioskKey(`${opts.ledger}.key.pem`)) : null;
      try {
        const issued = await withCardOnReader({ reader: opts.reader, timeout_ms: Number(opts.timeout) * 1000 }, (transport) =>
          ledger && opts.config
            ? issueRecorded(transport, { ledger, vault, card_ref_key: loadKioskConfig(opts.config).card_ref_key }, request)
            : issueCard(transport, { vault, ...request, tx_id: newTxId() }),
        );
        process.stdout.write(`${JSON.stringify({ issued: true, serial: issued.identity.serial, masked_serial: issued.masked_serial, balance_minor: issued.balance_minor, expires_on: issued.identity.expires_on }, null, 2)}\n`);
      } finally {
        ledger?.close();
      }
    });

  card
    .command('info')
    .description('print the card in the reader as JSON (balance, serial, expiry, status, last records)')
    .requiredOption('--keys <file>', 'keyset holding at least the debit or read master key')
    .option('--test-keys', TEST_KEYS_HELP)
    .option('--reader <name>', 'reader name (or part of it)')
    .option('--timeout <seconds>', 'how long to wait for a card', '10')
    .action(async (opts: { keys: string; testKeys?: boolean; reader?: string; timeout: string }) => {
      const vault = loadKeyVault(opts.keys, { simulated: opts.testKeys === true, roles: ['debit', 'read'] });
      const reading = await withCardOnReader({ reader: opts.reader, timeout_ms: Number(opts.timeout) * 1000 }, (transport) =>
        new Purse(transport, { vault, records_to_read: 10 }).read({ history: 'all' }),
      );
      const { card_number: _number, format: _format, all_records: _all, ...shown } = reading; // the card number is what the card reference hashes: never printed
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    });

  registerCardDemoCommand(card);
}
