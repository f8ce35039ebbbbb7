import { sql, type Kysely, type Migration } from 'kysely';

// The card book: what reconciliation reads instead of joining every entry ever
// held on every run. fold.ts keeps it up to date from the entries received
// since the last run (per kiosk, by seq), so a night's work follows the
// entries that are new, not the years of history behind them. Every row can
// be rebuilt from `entries` (test/unit/backoffice/fold.test.ts checks the
// tables against card-events.ts's definitions over the whole store).
//
//  - card_events: one row per committed card transaction (card-events.ts's
//    `ev`): an intent with the entry that closed it committed, or, for an
//    intent the kiosk left open, the card's later transaction that proves it
//    committed (evidence 'card_evidence', evidence_seq 0). `service_open` marks
//    a payment its service has not settled (no answer, or refused and not
//    given back): what services.ts must carry from day to day.
//  - open_intents: intents no entry closes (card-events.ts's `open_i`).
//  - card_latest: each card's last transaction by its own counter: the card's
//    balance now, from which liability.ts works back to the start of a day.
//  - fold_cursor: per kiosk, the last seq folded in.
//  - kiosk_seq_buckets: per kiosk and quarter hour (every time zone's midnight
//    falls on one), the first and last seq of the entries stamped in it: the
//    chain check's day ranges without reading the day's entries to find them.
//  - fold_touched_cards / fold_touched_tx: scratch lists of one fold, empty
//    between runs.

// Kysely's schema builder is untyped by design (it creates the tables the types describe).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const EVENT_COLUMNS = (t: ReturnType<AnyDb['schema']['createTable']>) =>
  t
    .addColumn('kiosk_id', 'text', (c) => c.notNull())
    .addColumn('tx_id', 'text', (c) => c.notNull())
    .addColumn('card_ref', 'text')
    .addColumn('service', 'text')
    .addColumn('direction', 'text')
    .addColumn('amount_minor', 'bigint')
    .addColumn('service_ref', 'text')
    .addColumn('shift_id', 'text')
    .addColumn('reverses_tx_id', 'text');

export function cardBookMigration(): Migration {
  return {
    async up(db: AnyDb) {
      await EVENT_COLUMNS(db.schema.createTable('card_events'))
        .addColumn('intent_seq', 'bigint', (c) => c.notNull())
        .addColumn('evidence_seq', 'bigint', (c) => c.notNull())
        .addColumn('balance_before', 'bigint')
        .addColumn('balance_after', 'bigint')
        .addColumn('counter_before', 'bigint')
        .addColumn('counter_after', 'bigint')
        .addColumn('tmac_value', 'text')
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('service_open', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('card_events_pk', ['kiosk_id', 'intent_seq', 'evidence_seq'])
        .execute();
      await db.schema.createIndex('card_events_card_counter').on('card_events').columns(['card_ref', 'counter_before']).execute();
      await db.schema.createIndex('card_events_time').on('card_events').column('at_ms').execute();
      await db.schema.createIndex('card_events_tx').on('card_events').column('tx_id').execute();
      await db.schema.createIndex('card_events_reverses').on('card_events').column('reverses_tx_id').execute();
      await db.schema.createIndex('card_events_shift').on('card_events').columns(['kiosk_id', 'shift_id']).execute();
      await db.schema.createIndex('card_events_card_evidence').on('card_events').column('card_ref').where(sql.ref('evidence'), '=', 'card_evidence').execute();
      await db.schema.createIndex('card_events_tmac').on('card_events').column('tmac_value').where(sql.ref('tmac_value'), 'is not', null).execute();
      await db.schema.createIndex('card_events_service_open').on('card_events').column('service_open').where(sql.ref('service_open'), '=', 1).execute();

      await EVENT_COLUMNS(db.schema.createTable('open_intents'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('balance_before_minor', 'bigint')
        .addColumn('balance_after_minor', 'bigint')
        .addColumn('tmac_counter', 'bigint')
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('open_intents_pk', ['kiosk_id', 'seq'])
        .execute();
      await db.schema.createIndex('open_intents_card').on('open_intents').columns(['card_ref', 'tmac_counter']).execute();
      await db.schema.createIndex('open_intents_tx').on('open_intents').columns(['kiosk_id', 'tx_id']).execute();

      await db.schema
        .createTable('card_latest')
        .addColumn('card_ref', 'text', (c) => c.primaryKey())
        .addColumn('counter_before', 'bigint')
        .addColumn('balance_after', 'bigint')
        .execute();

      await db.schema
        .createTable('fold_cursor')
        .addColumn('kiosk_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('kiosk_seq_buckets')
        .addColumn('kiosk_id', 'text', (c) => c.notNull())
        .addColumn('bucket_ms', 'bigint', (c) => c.notNull())
        .addColumn('min_seq', 'bigint', (c) => c.notNull())
        .addColumn('max_seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('kiosk_seq_buckets_pk', ['kiosk_id', 'bucket_ms'])
        .execute();
      await db.schema.createIndex('kiosk_seq_buckets_time').on('kiosk_seq_buckets').column('bucket_ms').execute();
      // Shifts are few, entries many: the shift check finds a shift's opening and closing by these alone.
      await db.schema.createIndex('entries_shift_opened').on('entries').columns(['kiosk_id', 'shift_id']).where(sql.ref('kind'), '=', 'shift_opened').execute();
      await db.schema.createIndex('entries_shift_closed').on('entries').columns(['kiosk_id', 'shift_id']).where(sql.ref('kind'), '=', 'shift_closed').execute();
      await db.schema.createTable('fold_touched_cards').addColumn('card_ref', 'text', (c) => c.primaryKey()).execute();
      await db.schema.createTable('fold_touched_tx').addColumn('tx_id', 'text', (c) => c.primaryKey()).execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex('entries_shift_closed').execute();
      await db.schema.dropIndex('entries_shift_opened').execute();
      for (const t of ['fold_touched_tx', 'fold_touched_cards', 'kiosk_seq_buckets', 'fold_cursor', 'card_latest', 'open_intents', 'card_events']) await db.schema.dropTable(t).execute();
    },
  };
}
