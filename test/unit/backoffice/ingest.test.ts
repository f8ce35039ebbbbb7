import { describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import type { BackOfficeStore } from '../../../src/backoffice/db/connect';
import { acknowledgedThrough, ingestBatch } from '../../../src/backoffice/ingest';
import { canonicalJson, entryHash, GENESIS_HASH } from '../../../src/ledger';
import { signHash } from '../../../src/ledger/encoding';
import type { EntryRow } from '../../../src/ledger';
import { forEachStore } from '../../support/backoffice-stores';
import { newKioskKey, testKiosk, type TestKiosk } from '../../support/backoffice-fixtures';

const NOW = new Date('2025-03-04T10:00:00.000Z');
const opts = { now: () => NOW };

async function enrolled(store: BackOfficeStore, kiosk: TestKiosk = testKiosk()): Promise<TestKiosk> {
  await enrollKiosk(store, { publicKeyPem: kiosk.key.publicKeyPem, name: 'Library lobby', by: 'test' });
  return kiosk;
}

async function held(store: BackOfficeStore) {
  return store.db.selectFrom('entries').selectAll().orderBy('kiosk_id').orderBy('seq').execute();
}

async function evidence(store: BackOfficeStore) {
  const ev = await store.db.selectFrom('sync_evidence').selectAll().orderBy('id').execute();
  const ex = await store.db.selectFrom('exceptions').selectAll().orderBy('id').execute();
  return { ev, ex };
}

/** `row` with its payload edited, hash recomputed (and re-signed with `key` when given). */
function edited(row: EntryRow, change: (p: Record<string, unknown>) => void, key?: TestKiosk['key']): EntryRow {
  const p = JSON.parse(row.payload) as Record<string, unknown>;
  change(p);
  const payload = canonicalJson(p);
  const hash = entryHash({ seq: row.seq, entry_id: row.entry_id, at: row.at, payload_json: payload, prev_hash: row.prev_hash });
  return { ...row, payload, hash, signature: key === undefined ? row.signature : signHash(hash, key.privateKey) };
}

forEachStore('ingest', (t) => {
  it("stores a real kiosk ledger byte for byte, with the projection columns, and acknowledges through its last entry", async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(3);
    const rows = kiosk.rows();
    const result = await ingestBatch(t.store, kiosk.kiosk_id, rows, opts);
    expect(result).toEqual({ ok: true, kiosk_id: kiosk.kiosk_id, received: 6, stored: 6, duplicates: 0, acknowledged_through_seq: 6 });
    const stored = await held(t.store);
    expect(stored.map((r) => ({ seq: r.seq, entry_id: r.entry_id, at: r.at, kind: r.kind, tx_id: r.tx_id, payload: r.payload, prev_hash: r.prev_hash, hash: r.hash, signature: r.signature }))).toEqual(rows);
    expect(stored[0]).toMatchObject({ kiosk_id: kiosk.kiosk_id, card_ref: 'c0ffee00c0ffee00c0ffee00c0ffee00', direction: 'debit', amount_minor: 350, balance_before_minor: 1_000_000, at_ms: Date.parse(rows[0]!.at), received_at: NOW.toISOString() });
    expect(stored[1]).toMatchObject({ kind: 'committed', balance_after_minor: 999_650, tmac_counter: 2, card_ref: null });
    expect(await acknowledgedThrough(t.store, kiosk.kiosk_id)).toEqual({ kiosk_id: kiosk.kiosk_id, acknowledged_through_seq: 6, last_hash: rows[5]!.hash });
    const k = await t.store.db.selectFrom('kiosks').select('last_sync_at').executeTakeFirstOrThrow();
    expect(k.last_sync_at).toBe(NOW.toISOString());
  });

  it('acknowledges nothing for a kiosk that has sent nothing', async () => {
    const kiosk = await enrolled(t.store);
    expect(await acknowledgedThrough(t.store, kiosk.kiosk_id)).toEqual({ kiosk_id: kiosk.kiosk_id, acknowledged_through_seq: 0, last_hash: GENESIS_HASH });
  });

  it('changes nothing when the same batch comes again', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(2);
    await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), opts);
    const before = await held(t.store);
    const again = await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), { now: () => new Date(NOW.getTime() + 60_000) });
    expect(again).toEqual({ ok: true, kiosk_id: kiosk.kiosk_id, received: 4, stored: 0, duplicates: 4, acknowledged_through_seq: 4 });
    expect(await held(t.store)).toEqual(before);
    expect(await evidence(t.store)).toEqual({ ev: [], ex: [] });
  });

  it('stores only the new part of overlapping batches', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(4);
    expect(await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(1, 4), opts)).toMatchObject({ ok: true, stored: 4, acknowledged_through_seq: 4 });
    expect(await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(3, 8), opts)).toMatchObject({ ok: true, received: 6, stored: 4, duplicates: 2, acknowledged_through_seq: 8 });
    expect((await held(t.store)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stores a batch once when the kiosk sends it several times at the same time', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(50);
    // Open several connections first (PostgreSQL) so that the batches really run side by side.
    await Promise.all(Array.from({ length: 4 }, () => t.store.db.selectFrom('kiosks').select('kiosk_id').execute()));
    const results = await Promise.all(Array.from({ length: 4 }, () => ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), opts)));
    expect(results.map((r) => (r.ok ? [r.stored, r.duplicates] : r)).sort()).toEqual([[0, 100], [0, 100], [0, 100], [100, 0]]);
    expect(await held(t.store)).toHaveLength(100);
  });

  it('keeps two kiosks apart', async () => {
    const a = await enrolled(t.store);
    const b = await enrolled(t.store, testKiosk(newKioskKey(), '0190e001'));
    a.pay(1);
    b.pay(2);
    expect(await ingestBatch(t.store, a.kiosk_id, a.rows(), opts)).toMatchObject({ ok: true, stored: 2 });
    expect(await ingestBatch(t.store, b.kiosk_id, b.rows(), opts)).toMatchObject({ ok: true, stored: 4 });
    // a's rows offered as b's: signed by another key.
    expect(await ingestBatch(t.store, b.kiosk_id, a.rows(), opts)).toMatchObject({ ok: false, status: 409, error: 'conflict' });
  });

  it('refuses the whole batch, naming the first bad seq, when a payload was changed after signing', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(3);
    const rows = kiosk.rows();
    rows[3] = { ...rows[3]!, payload: rows[3]!.payload.replace('"tmac_counter":3', '"tmac_counter":9') };
    const result = await ingestBatch(t.store, kiosk.kiosk_id, rows, opts);
    expect(result).toMatchObject({ ok: false, status: 422, error: 'verification_failed', first_bad_seq: 4, reason: 'hash does not match the entry' });
    expect(await held(t.store)).toEqual([]);
  });

  it('refuses a re-hashed entry that the kiosk key did not sign, and a bad signature on a middle entry even though the last one verifies', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(3);
    const rows = kiosk.rows();
    const rehashed = [...rows.slice(0, 2), edited(rows[2]!, (p) => (p.amount_minor = 1))];
    expect(await ingestBatch(t.store, kiosk.kiosk_id, rehashed, opts)).toMatchObject({ status: 422, first_bad_seq: 3 });

    // The chain is intact and entry 6's signature vouches for it, but entry 3's own signature column was replaced:
    // stored, it could not stand alone as evidence.
    const middle = rows.map((r) => ({ ...r }));
    middle[2]!.signature = rows[3]!.signature;
    expect(await ingestBatch(t.store, kiosk.kiosk_id, middle, opts)).toMatchObject({ status: 422, first_bad_seq: 3, reason: "signature does not verify with the kiosk's enrolled key" });
    expect(await held(t.store)).toEqual([]);
  });

  it('names the earliest bad entry when a signature fails before a broken hash', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(3);
    const rows = kiosk.rows();
    rows[1] = { ...rows[1]!, signature: rows[0]!.signature };
    rows[4] = { ...rows[4]!, payload: rows[4]!.payload.replace('350', '351') };
    expect(await ingestBatch(t.store, kiosk.kiosk_id, rows, opts)).toMatchObject({ status: 422, first_bad_seq: 2 });
  });

  it('refuses a ledger signed by another key than the enrolled one', async () => {
    const kiosk = await enrolled(t.store);
    const impostor = testKiosk();
    impostor.pay(1);
    expect(await ingestBatch(t.store, kiosk.kiosk_id, impostor.rows(), opts)).toMatchObject({ status: 422, first_bad_seq: 1 });
  });

  it('refuses a different signed entry under a held seq (a forked ledger), keeps it as evidence, raises a critical exception once, and keeps the held entry', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(2);
    await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), opts);
    const before = await held(t.store);

    // The same key, a ledger started again: seq 1.. are other entries, validly signed.
    const fork = testKiosk(kiosk.key, '0190e0ff');
    fork.pay(3);
    const result = await ingestBatch(t.store, kiosk.kiosk_id, fork.rows(), opts);
    expect(result).toMatchObject({ ok: false, status: 409, error: 'conflict', seq: 1 });
    expect(await held(t.store)).toEqual(before);
    const { ev, ex } = await evidence(t.store);
    expect(ev.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(JSON.parse(ev[0]!.offered_row)).toEqual(fork.rows(1, 1)[0]);
    expect(ev[0]!.reason).toMatch(/differs from the entry held under seq 1; offered entry is intact, is signed by the kiosk's enrolled key/);
    expect(ex).toHaveLength(4);
    expect(ex[0]).toMatchObject({ kind: 'sync_conflict', severity: 'critical', kiosk_id: kiosk.kiosk_id });
    expect(ex[0]!.explanation).toMatch(/signed two different entries under number 1/);
    expect(JSON.parse(ex[0]!.detail)).toMatchObject({ seq: 1, intact: true, signed_by_kiosk: true, held_hash: before[0]!.hash });

    // The kiosk retrying the same batch adds no evidence and no exception.
    expect(await ingestBatch(t.store, kiosk.kiosk_id, fork.rows(), opts)).toMatchObject({ status: 409, error: 'conflict' });
    expect((await evidence(t.store)).ex).toHaveLength(4);
  });

  it('treats a held entry sent again with a changed payload as a conflict, unsigned', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(2);
    await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), opts);
    const before = await held(t.store);
    const rows = kiosk.rows();
    rows[2] = edited(rows[2]!, (p) => (p.amount_minor = 1));
    expect(await ingestBatch(t.store, kiosk.kiosk_id, rows, opts)).toMatchObject({ status: 409, error: 'conflict', seq: 3 });
    expect(await held(t.store)).toEqual(before);
    const { ev, ex } = await evidence(t.store);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.reason).toMatch(/is NOT signed/);
    expect(JSON.parse(ex[0]!.detail)).toMatchObject({ seq: 3, signed_by_kiosk: false });
  });

  it('refuses a gap, naming the seq it expects', async () => {
    const kiosk = await enrolled(t.store);
    kiosk.pay(4);
    expect(await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(3, 8), opts)).toMatchObject({ ok: false, status: 409, error: 'gap', expected_seq: 1 });
    await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(1, 2), opts);
    expect(await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(5, 8), opts)).toMatchObject({ status: 409, error: 'gap', expected_seq: 3 });
    expect((await held(t.store)).map((r) => r.seq)).toEqual([1, 2]);
  });

  describe('refuses a batch that is not a run of ledger rows', () => {
    it.each([
      ['not an array', {}, /array/],
      ['empty', [], /empty/],
      ['with extra fields', 'extra', /fields a ledger row does not: card_uid/],
      ['out of order', 'swap', /consecutive seqs/],
    ])('%s', async (_name, shape, message) => {
      const kiosk = await enrolled(t.store);
      kiosk.pay(1);
      const rows = kiosk.rows();
      const body = shape === 'extra' ? [{ ...rows[0], card_uid: '04AABBCC' }] : shape === 'swap' ? [rows[1], rows[0]] : shape;
      const result = await ingestBatch(t.store, kiosk.kiosk_id, body, opts);
      expect(result).toMatchObject({ ok: false, status: 400, error: 'bad_request' });
      expect(result.ok ? '' : result.message).toMatch(message);
    });

    it('of more than 1,000 entries', async () => {
      const kiosk = await enrolled(t.store);
      kiosk.pay(1);
      const row = kiosk.rows()[0]!;
      const many = Array.from({ length: 1_001 }, (_, i) => ({ ...row, seq: i + 1, entry_id: `${i}` }));
      expect(await ingestBatch(t.store, kiosk.kiosk_id, many, opts)).toMatchObject({ status: 400, message: 'a batch holds at most 1000 entries, not 1001' });
    });
  });

  it('refuses a kiosk that is not enrolled', async () => {
    const kiosk = testKiosk();
    kiosk.pay(1);
    expect(await ingestBatch(t.store, kiosk.kiosk_id, kiosk.rows(), opts)).toMatchObject({ status: 401, error: 'kiosk_not_enrolled' });
  });
});
