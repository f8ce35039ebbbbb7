import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type Database from 'better-sqlite3';
import { openLedgerDatabase } from '../../ledger/db';
import { rowToEntry, type EntryRow } from '../../ledger/entry';
import { loadPublicKey } from '../../ledger/kiosk-key';
import { parseChainPoint, verifyLedger, type ChainPoint, type VerifyOptions, type VerifyResult } from '../../ledger/verify';

// `civicard ledger verify` and `civicard ledger export`. Both open the ledger
// read-only. Verify exits 0 only when it can vouch for the ledger: verified
// against a trusted key. 1: broken (names the first bad entry). 2: not
// verified: the chain is consistent but no trusted key was given (a ledger
// carries its own key, so a re-signed one would look the same), or nothing
// could be checked (no file, unreadable, wrong schema, bad arguments).

const EXIT = { verified: 0, broken: 1, unverified: 2, unchecked: 2 } as const;

type Verdict =
  | { status: 'verified' | 'unverified'; entries: number; last: ChainPoint | null; key: 'trusted' | 'stored'; tail: 'anchored' | 'not_anchored'; reason?: string }
  | { status: 'broken'; first_bad: number; reason: string }
  | { status: 'unchecked'; reason: string };

const NO_KEY = 'no trusted key was given';

function openReadOnly(path: string): Database.Database {
  if (!existsSync(path)) throw new Error(`no ledger at ${path}`);
  return openLedgerDatabase(path, { readonly: true });
}

function verdictOf(result: VerifyResult, opts: VerifyOptions): Verdict {
  if (!result.ok) return { status: 'broken', first_bad: result.firstBad, reason: result.reason };
  const consistent = {
    entries: result.count,
    last: result.count === 0 ? null : { seq: result.count, hash: result.last_hash },
    tail: opts.expectLast === undefined ? ('not_anchored' as const) : ('anchored' as const),
  };
  return result.verified ? { status: 'verified', key: 'trusted', ...consistent } : { status: 'unverified', key: 'stored', reason: NO_KEY, ...consistent };
}

function check(opts: { db: string; publicKey?: string; expectLast?: string }): { verdict: Verdict; expectLast?: ChainPoint } {
  let db: Database.Database;
  const options: VerifyOptions = {};
  try {
    if (opts.publicKey !== undefined) options.trustedKey = loadPublicKey(opts.publicKey);
    if (opts.expectLast !== undefined) options.expectLast = parseChainPoint(opts.expectLast);
    db = openReadOnly(opts.db);
  } catch (e) {
    return { verdict: { status: 'unchecked', reason: e instanceof Error ? e.message : String(e) } };
  }
  try {
    return { verdict: verdictOf(verifyLedger(db, options), options), expectLast: options.expectLast };
  } finally {
    db.close();
  }
}

function humanLines(v: Verdict, expectLast: ChainPoint | undefined): string[] {
  if (v.status === 'unchecked') return [`ledger UNCHECKED: ${v.reason}`];
  if (v.status === 'broken') return [`ledger ${v.first_bad === 0 ? 'BROKEN' : `BROKEN at entry ${v.first_bad}`}: ${v.reason}`];
  const entries = `${v.entries} ${v.entries === 1 ? 'entry' : 'entries'}`;
  const lines =
    v.status === 'verified'
      ? [`ledger VERIFIED: ${entries}; chain, signatures and money table checked against the trusted kiosk key`]
      : [
          `ledger UNVERIFIED: ${entries} are internally consistent (chain, signatures, money table), but ${NO_KEY}: a ledger changed and re-signed with another key would look the same`,
          'to verify, pass --public-key FILE: the kiosk’s enrolled public key (PEM) as the back office enrolled it, never a key read from this ledger',
        ];
  lines.push(v.last === null ? 'last entry: none (the ledger is empty)' : `last entry ${v.last.seq}:${v.last.hash} (record it; pass it as --expect-last next time to detect a removed tail)`);
  lines.push(
    expectLast === undefined
      ? 'tail NOT ANCHORED: a truncated tail cannot be excluded without --expect-last SEQ:HASH recorded outside this ledger (an earlier verify, or the back office’s last acknowledged entry)'
      : `tail anchored: entry ${expectLast.seq}:${expectLast.hash.slice(0, 16)}…, recorded earlier, is still in the chain`,
  );
  return lines;
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("a kiosk's tamper-evident ledger");
  ledger
    .command('verify')
    .description('check sequence, hash chain, signatures and money table against the enrolled key; exit 0 verified, 1 broken (names the first bad entry), 2 unverified or unchecked')
    .requiredOption('--db <file>', 'ledger database')
    .option('--public-key <file>', 'the kiosk’s enrolled public key (PEM), from the back office’s enrollment record; without it the ledger is at best UNVERIFIED (exit 2)')
    .option('--expect-last <seq:hash>', 'an entry recorded outside this ledger (printed by an earlier verify); fails if the ledger no longer holds it (a removed tail)')
    .option('--json', 'print one JSON object instead of lines')
    .action((opts: { db: string; publicKey?: string; expectLast?: string; json?: boolean }) => {
      const { verdict, expectLast } = check(opts);
      if (opts.json === true) process.stdout.write(`${JSON.stringify(verdict)}\n`);
      else if (verdict.status === 'unchecked') process.stderr.write(`${humanLines(verdict, expectLast).join('\n')}\n`);
      else process.stdout.write(`${humanLines(verdict, expectLast).join('\n')}\n`);
      process.exitCode = EXIT[verdict.status];
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
