import type { Insertable } from 'kysely';
import { expect, it } from 'vitest';
import { openBackOfficeDb } from '../../../src/backoffice/db/connect';
import { migrateBackOffice } from '../../../src/backoffice/db/migrations';
import type { EntriesTable } from '../../../src/backoffice/db/schema';
import { forEachStore } from '../../support/backoffice-stores';

const KIOSK = {
  kiosk_id: 'a'.repeat(32),
  public_key_pem: 'PEM',
  name: 'Library lobby',
  status: 'active' as const,
  enrolled_at: '2025-01-01T00:00:00.000Z',
  enrolled_by: 'test',
  last_sync_at: null,
};

function entry(seq: number, entry_id: string) {
  const row: Insertable<EntriesTable> = {
    kiosk_id: KIOSK.kiosk_id,
    seq,
    entry_id,
    at: '2025-01-01T00:00:00.000Z',
    kind: 'intent',
    tx_id: null,
    payload: '{}',
    prev_hash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    signature: 'sig',
    received_at: '2025-01-01T00:00:01.000Z',
    at_ms: 2 ** 52,
    card_ref: null,
    service: null,
    direction: null,
    amount_minor: 1_000_000_000_000,
    balance_before_minor: null,
    balance_after_minor: null,
    tmac_counter: null,
    tmac_value: null,
    outcome: null,
    service_ref: null,
    reverses_tx_id: null,
    shift_id: null,
  };
  return row;
}

forEachStore('back-office migrations', (t) => {
  it('create every table of schema.ts, run again as a no-op, and hand bigints back as numbers', async () => {
    const url = await t.freshUrl();
    const store = await openBackOfficeDb(url, { migrate: false });
    try {
      await migrateBackOffice(store.db);
      await migrateBackOffice(store.db);
      const tables = (await store.db.introspection.getTables()).map((x) => x.name).filter((n) => !n.startsWith('kysely_')).sort();
      expect(tables).toEqual(['card_events', 'card_latest', 'downlink_bundles', 'entries', 'exceptions', 'fold_cursor', 'fold_touched_cards', 'fold_touched_tx', 'hotlist_changes', 'kiosk_outbox_reports', 'kiosk_seq_buckets', 'kiosks', 'nonces', 'open_intents', 'paid_citations', 'parking_sessions', 'replacement_credits', 'sessions', 'sync_evidence', 'upload_evidence', 'users']);
      const entries = (await store.db.introspection.getTables()).find((x) => x.name === 'entries')!;
      expect(entries.columns.map((c) => c.name).sort()).toEqual(Object.keys(entry(1, 'x')).sort());

      await store.db.insertInto('kiosks').values(KIOSK).execute();
      await store.db.insertInto('entries').values(entry(1, 'e1')).execute();
      const back = await store.db.selectFrom('entries').select(['seq', 'at_ms', 'amount_minor']).executeTakeFirstOrThrow();
      expect(back).toEqual({ seq: 1, at_ms: 2 ** 52, amount_minor: 1_000_000_000_000 });
    } finally {
      await store.close();
    }
  });

  it('hold one entry per kiosk and seq, and one per kiosk and entry id', async () => {
    const { db } = t.store;
    await db.insertInto('kiosks').values(KIOSK).execute();
    await db.insertInto('entries').values(entry(1, 'e1')).execute();
    await expect(db.insertInto('entries').values(entry(1, 'e2')).execute()).rejects.toThrow(/unique|duplicate/i);
    await expect(db.insertInto('entries').values(entry(2, 'e1')).execute()).rejects.toThrow(/unique|duplicate/i);
    await expect(db.insertInto('entries').values({ ...entry(3, 'e3'), kiosk_id: 'b'.repeat(32) }).execute()).rejects.toThrow(/foreign key/i);
  });

  it('number generated ids for evidence and exceptions', async () => {
    const { db } = t.store;
    const row = { kiosk_id: KIOSK.kiosk_id, seq: 3, offered_row: '{}', reason: 'r', received_at: KIOSK.enrolled_at };
    const a = await db.insertInto('sync_evidence').values(row).returning('id').executeTakeFirstOrThrow();
    const b = await db.insertInto('sync_evidence').values(row).returning('id').executeTakeFirstOrThrow();
    expect(b.id).toBe(a.id + 1);
  });
});

it('refuses a database URL it does not know, naming the forms it takes', async () => {
  await expect(openBackOfficeDb('mysql://x')).rejects.toThrow(/sqlite:FILE, sqlite::memory: or postgres:\/\//);
});
