// The recovery harness's end check: every ledger against the card's journal
// (what the card actually committed). Nothing a ledger says may be a guess:
// committed means on the card, aborted means not; uncertain is allowed, and is
// counted and resolved from the journal to check the money.
import { join } from 'node:path';
import { KioskLedger, loadOrCreateKioskKey, verifyLedger, type LedgerEntry, type TxBalance } from '../../src/ledger';
import type { JournalLine, StationName } from './recovery-plan';
import { STATIONS } from './recovery-plan';
import { txTag } from './card-journal';

export interface LedgerCheck {
  verified: boolean;
  transactions: number;
  committed: number;
  aborted: number;
  open: number;
  uncertain: number;
  /** Uncertain transactions the journal shows committed / not committed. */
  uncertain_on_card: number;
  uncertain_not_on_card: number;
  /** Committed in the ledger but not on the card, or aborted in the ledger but on the card: a guess. */
  committed_not_on_card: string[];
  aborted_but_on_card: string[];
  committed_by_service: Record<string, number>;
  refunds: number;
}

export interface EndCheck {
  ledgers: Record<StationName, LedgerCheck>;
  journal_commits: number;
  card_balance_minor: number;
  journal_balance_minor: number;
  /** Committed money of every ledger, uncertain ones resolved from the journal. */
  ledgers_balance_minor: number;
  journal_balances_continuous: boolean;
  card_tx_ids_unique: boolean;
  /** Card commits no ledger has an intent for (money from nowhere). */
  card_commits_without_intent: string[];
  committed_tx_ids_unique: boolean;
  /** Reversed transactions with more than one committed reversal, or a credit back and a refund. */
  double_reversals: string[];
  ok: boolean;
}

interface Intent {
  tx_id: string;
  service: string;
  direction: 'debit' | 'credit';
  amount_minor: number;
  reverses_tx_id: string | null;
}

function allEntries(ledger: KioskLedger): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (let seq = 0; ; ) {
    const page = ledger.entriesSince(seq, 1_000);
    if (page.length === 0) return entries;
    entries.push(...page);
    seq = page.at(-1)!.seq;
  }
}

const signed = (direction: 'debit' | 'credit', amount: number) => (direction === 'debit' ? -amount : amount);

export function checkEnd(dir: string, journal: JournalLine[], card_balance_minor: number): EndCheck {
  const onCard = new Map(journal.map((j) => [j.tx_tag, j]));
  const intentTags = new Set<string>();
  const intents = new Map<string, Intent>();
  const committedIds: string[] = [];
  const refunded = new Set<string>();
  let ledgers_balance_minor = 0;
  const ledgers = {} as Record<StationName, LedgerCheck>;

  for (const name of Object.keys(STATIONS) as StationName[]) {
    const key = loadOrCreateKioskKey(join(dir, STATIONS[name].key));
    const ledger = KioskLedger.open(join(dir, STATIONS[name].ledger), key);
    const verification = verifyLedger(ledger.db, { trustedKey: key.publicKey });
    const entries = allEntries(ledger);
    const txs: TxBalance[] = ledger.txBalances(0, 100_000);
    ledger.close();
    for (const e of entries) {
      const p = e.payload;
      if (p.kind === 'intent' || p.kind === 'credit_intent') {
        intentTags.add(txTag(p.tx_id));
        intents.set(p.tx_id, { tx_id: p.tx_id, service: p.service, direction: p.kind === 'intent' ? 'debit' : 'credit', amount_minor: p.amount_minor, reverses_tx_id: p.reverses_tx_id });
      }
      if (p.kind === 'refund') refunded.add(p.tx_id);
    }
    const check: LedgerCheck = {
      verified: verification.ok && verification.verified,
      transactions: txs.length,
      committed: 0,
      aborted: 0,
      open: 0,
      uncertain: 0,
      uncertain_on_card: 0,
      uncertain_not_on_card: 0,
      committed_not_on_card: [],
      aborted_but_on_card: [],
      committed_by_service: {},
      refunds: txs.filter((t) => t.refund_owed_minor > 0).length,
    };
    for (const t of txs) {
      check[t.state]++;
      const card = onCard.get(txTag(t.tx_id));
      if (t.state === 'committed' && !card) check.committed_not_on_card.push(t.tx_id);
      if (t.state === 'aborted' && card) check.aborted_but_on_card.push(t.tx_id);
      if (t.state === 'uncertain') check[card ? 'uncertain_on_card' : 'uncertain_not_on_card']++;
      const happened = t.state === 'committed' || (t.state === 'uncertain' && card !== undefined);
      if (!happened) continue;
      committedIds.push(t.tx_id);
      ledgers_balance_minor += signed(t.direction, t.amount_minor);
      check.committed_by_service[t.service] = (check.committed_by_service[t.service] ?? 0) + 1;
    }
    ledgers[name] = check;
  }

  // At most one reversal per transaction: one committed void per top-up, one
  // committed credit back per payment, never a credit back and a refund.
  const happened = new Set(committedIds);
  const reversals = new Map<string, number>();
  for (const i of intents.values()) if (i.reverses_tx_id && happened.has(i.tx_id)) reversals.set(i.reverses_tx_id, (reversals.get(i.reverses_tx_id) ?? 0) + 1);
  const double_reversals = [...reversals].filter(([tx, n]) => n > 1 || refunded.has(tx)).map(([tx]) => tx);

  let running = 0;
  let journal_balances_continuous = true;
  for (const j of journal) {
    running = j.kind === 'issue' ? j.balance_after_minor : running + signed(j.kind === 'debit' ? 'debit' : 'credit', j.amount_minor);
    if (running !== j.balance_after_minor) journal_balances_continuous = false;
  }
  const checks = Object.values(ledgers);
  const result = {
    ledgers,
    journal_commits: journal.length,
    card_balance_minor,
    journal_balance_minor: running,
    ledgers_balance_minor,
    journal_balances_continuous,
    card_tx_ids_unique: onCard.size === journal.length,
    card_commits_without_intent: journal.filter((j) => j.kind !== 'issue' && !intentTags.has(j.tx_tag)).map((j) => j.tx_tag),
    committed_tx_ids_unique: happened.size === committedIds.length,
    double_reversals,
  };
  const ok =
    checks.every((c) => c.verified && c.open === 0 && c.committed_not_on_card.length === 0 && c.aborted_but_on_card.length === 0) &&
    card_balance_minor === running &&
    card_balance_minor === ledgers_balance_minor &&
    journal_balances_continuous &&
    result.card_tx_ids_unique &&
    result.card_commits_without_intent.length === 0 &&
    result.committed_tx_ids_unique &&
    double_reversals.length === 0;
  return { ...result, ok };
}
