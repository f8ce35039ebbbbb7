import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { enrollKiosk } from '../../src/backoffice/auth/enrollment';
import { kioskIdOf } from '../../src/backoffice/auth/request-signing';
import type { BackOfficeStore } from '../../src/backoffice/db/connect';
import { ingestBatch, MAX_BATCH_ENTRIES } from '../../src/backoffice/ingest';
import { KioskLedger, openLedgerDatabase, type PayloadInput } from '../../src/ledger';
import type { EntryRow } from '../../src/ledger/entry';
import { newTxId } from '../../src/shared/ids';
import { newKioskKey } from './backoffice-fixtures';

// A city for the reconciliation tests: kiosks with real ledgers (in memory,
// real rules, hashes and signatures), enrolled in the back office and synced
// through ingestBatch as the server does; cards that remember their balance
// and Transaction MAC counter, so kiosks write what a real card would show.

/** One clock for every kiosk of a scenario: set it, and each reading steps one second. */
export class ScenarioClock {
  private t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  readonly now = (): Date => {
    const d = new Date(this.t);
    this.t += 1_000;
    return d;
  };
}

/** A card as the kiosks see it: its reference, balance and Transaction MAC counter. */
export class TestCard {
  constructor(
    readonly card_ref: string,
    public balance: number,
    public counter: number,
  ) {}
}

let tmacSeed = 0;
function tmacValue(): string {
  return createHash('sha256').update(`tmac-${++tmacSeed}`).digest('hex').slice(0, 16).toUpperCase();
}

export interface TxOptions {
  service_ref?: string | null;
  shift_id?: string | null;
  reverses_tx_id?: string | null;
}

export class ScenarioKiosk {
  readonly key = newKioskKey();
  readonly kiosk_id = kioskIdOf(this.key.publicKeyPem);
  readonly ledger: KioskLedger;
  private synced = 0;

  constructor(
    readonly name: string,
    clock: ScenarioClock,
  ) {
    this.ledger = new KioskLedger(openLedgerDatabase(':memory:'), this.key, clock.now);
  }

  async enroll(store: BackOfficeStore): Promise<void> {
    await enrollKiosk(store, { publicKeyPem: this.key.publicKeyPem, name: this.name, by: 'test' });
  }

  /** Uploads the entries written since the last sync, in batches, as the kiosk's sync client does. */
  async sync(store: BackOfficeStore): Promise<void> {
    for (;;) {
      const rows = this.ledger.db.prepare('SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').all(this.synced, MAX_BATCH_ENTRIES) as EntryRow[];
      if (rows.length === 0) return;
      const result = await ingestBatch(store, this.kiosk_id, rows);
      if (!result.ok) throw new Error(`${this.name} could not sync: ${result.message}`);
      this.synced = rows.at(-1)!.seq;
    }
  }

  /** An intent for `card`, not closed: returns the tx id and the payload's figures. */
  intent(card: TestCard, service: string, amount: number, opts: TxOptions = {}) {
    const credit = ['top_up', 'credit_back', 'opening_balance', 'replacement'].includes(service);
    const tx_id = newTxId();
    const after = credit ? card.balance + amount : card.balance - amount;
    this.ledger.appendIntent({
      kind: credit ? 'credit_intent' : 'intent',
      tx_id,
      service,
      card_ref: card.card_ref,
      amount_minor: amount,
      balance_before_minor: card.balance,
      expected_balance_after_minor: after,
      tmac_counter_before: card.counter,
      service_ref: opts.service_ref ?? (['library_fine', 'parking', 'citation'].includes(service) ? `fixed:${service}:Q-${tx_id.slice(-6)}` : null),
      reverses_tx_id: opts.reverses_tx_id ?? null,
      shift_id: opts.shift_id ?? null,
    } as PayloadInput as never);
    return { tx_id, credit, after, counter_before: card.counter };
  }

  /** A whole transaction the card committed; the card moves on. Services get their post and an accepted answer unless told otherwise. */
  pay(card: TestCard, service: string, amount: number, opts: TxOptions & { post?: 'accepted' | 'refused' | 'unanswered' | 'none' } = {}): string {
    const i = this.intent(card, service, amount, opts);
    this.commit(card, i);
    const post = opts.post ?? 'accepted';
    if (['library_fine', 'parking', 'citation'].includes(service) && post !== 'none') {
      this.ledger.append({ kind: 'service_post', tx_id: i.tx_id });
      if (post !== 'unanswered') this.ledger.append({ kind: 'service_result', tx_id: i.tx_id, outcome: post });
    }
    return i.tx_id;
  }

  commit(card: TestCard, i: { tx_id: string; credit: boolean; after: number; counter_before: number }): void {
    this.ledger.append({ kind: i.credit ? 'credit_committed' : 'committed', tx_id: i.tx_id, balance_after_minor: i.after, tmac_counter: i.counter_before + 1, tmac_value: tmacValue() });
    card.balance = i.after;
    card.counter = i.counter_before + 1;
  }

  openShift(float: number): string {
    const shift_id = newTxId();
    this.ledger.append({ kind: 'shift_opened', shift_id, staff_ref: 'staff-17', opening_float_minor: float });
    return shift_id;
  }

  closeShift(shift_id: string, counted: number): void {
    this.ledger.append({ kind: 'shift_closed', shift_id, staff_ref: 'staff-17', expected_minor: this.ledger.shiftExpectedCashMinor(shift_id), counted_minor: counted });
  }
}

export async function countRows(store: BackOfficeStore, table: 'exceptions' | 'entries'): Promise<number> {
  const r = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(store.db);
  return Number(r.rows[0]!.n);
}
