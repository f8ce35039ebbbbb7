import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PaymentTx, Quote, QuoteInput } from '../../../src/kiosk/machines/contracts';
import { ParkingService } from '../../../src/kiosk/services/parking';
import { ParkingSessionStore, plateHash } from '../../../src/kiosk/services/parking-sessions';
import { parseTariffs } from '../../../src/parking';
import { paymentTx } from '../../support/ledger-fixtures';

// ParkingService against the sample tariffs (test/fixtures/tariffs/README.md):
// zone 101, Mon–Sat 08:00–18:00 metered (first hour 5¢/min by the quarter hour,
// second hour $6/h rounded up to 150¢), 2 hours at most, 60 minutes away after
// a stay; free 00:00–02:00; $1/h otherwise; no parking Tue 03:00–05:00.

const parsed = parseTariffs(JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json'), 'utf8')));
if (!parsed.ok) throw new Error('fixture tariffs do not parse');
const tariffs = parsed.tariffs;
const PLATE_KEY = Buffer.alloc(32, 9);
const WED_10 = '2025-07-09T15:00:00Z'; // Wednesday 10:00 CDT

function setup(opts: { file?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-parking-'));
  const path = opts.file === false ? null : join(dir, 'parking-sessions.json');
  const sessions = ParkingSessionStore.open(path);
  const clock = { now: new Date(WED_10) };
  const service = new ParkingService({ tariffs, sessions, plate_key: PLATE_KEY, now: () => clock.now });
  const at = (iso: string) => (clock.now = new Date(iso));
  const ask = (reference: string, chosen?: string[]) => service.quote({ kind: 'parking', reference, card_ref: 'c1', ...(chosen ? { chosen } : {}) } as QuoteInput);
  let n = 0;
  const txFor = (quote: Quote): PaymentTx => {
    n += 1;
    return paymentTx(n, { tx_id: `tx-${n}`, kind: 'parking', card_ref: 'c1', amount_minor: quote.amount_minor, balance_before_minor: 10_000, expected_balance_after_minor: 10_000 - quote.amount_minor, tmac_counter_before: 1, quote_ref: quote.quote_ref });
  };
  /** Choose `minutes`, pay: the final quote and what fulfil answered. */
  const buy = async (reference: string, minutes: number) => {
    const q = await ask(reference, [`m${minutes}`]);
    if (!q.ok) throw new Error(`refused: ${q.error}`);
    const tx = txFor(q.value);
    return { quote: q.value, tx, fulfilled: await service.fulfil({ tx, quote: q.value }) };
  };
  return { service, sessions, path, at, ask, buy, txFor };
}

const optionsOf = async (r: Awaited<ReturnType<ReturnType<typeof setup>['ask']>>) => {
  if (!r.ok || r.value.choose === undefined) throw new Error(`expected options, got ${JSON.stringify(r)}`);
  return r.value.choose.options.map((o) => ({ id: o.id, amount_minor: o.amount_minor, end: o.label_params.end }));
};

describe('ParkingService: quoting by plate and by space', () => {
  it('by plate: durations up to the max stay to choose one of, each with its price and end; nothing payable yet', async () => {
    const { ask } = setup();
    const first = await ask('plate:101/abc-123');
    expect(first.ok && first.value).toMatchObject({ kind: 'parking', amount_minor: 0, choose: { multiple: false } });
    expect(await optionsOf(first)).toEqual([
      { id: 'm15', amount_minor: 75, end: '2025-07-09T10:15:00-05:00' },
      { id: 'm30', amount_minor: 150, end: '2025-07-09T10:30:00-05:00' },
      { id: 'm60', amount_minor: 300, end: '2025-07-09T11:00:00-05:00' },
      { id: 'm120', amount_minor: 900, end: '2025-07-09T12:00:00-05:00' },
    ]);
    if (!first.ok) return;
    expect(first.value.choose?.options[0]).toMatchObject({ label_key: 'parking.duration', label_params: { minutes: 15 }, preselected: false });
  });

  it('with a duration chosen: a payable quote with an opaque session id and receipt lines carrying only the last 3 characters of the plate', async () => {
    const { ask } = setup();
    const q = await ask('plate:101/abc-123', ['m60']);
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.value.quote_ref).toMatch(/^pk:[0-9a-f-]{36}$/);
    expect(q.value.amount_minor).toBe(300);
    expect(q.value.choose).toBeUndefined();
    expect(q.value.receipt_lines).toEqual([
      { key: 'parking.zone', value: '101' },
      { key: 'parking.expires_at', value: '2025-07-09T11:00:00-05:00' },
      { key: 'parking.plate_tail', value: '123' },
    ]);
    expect(JSON.stringify(q.value)).not.toMatch(/ABC/i);
  });

  it('by space: the space on the receipt, no plate at all', async () => {
    const { buy } = setup();
    const { quote, fulfilled } = await buy('space:101/12', 30);
    expect(quote.amount_minor).toBe(150);
    expect(quote.receipt_lines).toEqual([
      { key: 'parking.zone', value: '101' },
      { key: 'parking.space', value: '12' },
      { key: 'parking.expires_at', value: '2025-07-09T10:30:00-05:00' },
    ]);
    expect(fulfilled).toEqual({ status: 'fulfilled', service_ref: quote.quote_ref });
  });

  it('the zone by its curb_zone_id too; an unknown zone, a bad plate, a chosen id never offered: not_found', async () => {
    const { ask } = setup();
    expect((await ask('plate:3f1b7c2e-8a4d-4e59-9b61-2d7e5a0c1f01/ABC123')).ok).toBe(true);
    for (const bad of ['plate:999/ABC123', 'plate:101/', 'plate:101/ABC_123', 'space:101/12/3', 'ABC123', 'plate:101/ABC123#0']) expect(await ask(bad)).toEqual({ ok: false, error: 'not_found' });
    expect(await ask('plate:101/ABC123', ['m7'])).toEqual({ ok: false, error: 'not_found' });
    expect(await ask('plate:101/ABC123', ['m15', 'm30'])).toEqual({ ok: false, error: 'not_found' });
  });
});

describe('ParkingService: refusals from the tariffs', () => {
  it('no parking now (Tuesday street cleaning), a stay running into it, and a holiday when parking is free (nothing due)', async () => {
    const { ask, at } = setup();
    at('2025-07-08T08:30:00Z'); // Tue 03:30
    expect(await ask('plate:101/ABC123')).toEqual({ ok: false, error: 'no_parking_now' });
    at('2025-07-08T07:50:00Z'); // Tue 02:50: even 15 minutes run into 03:00
    expect(await ask('plate:101/ABC123')).toEqual({ ok: false, error: 'no_parking_now' });
    at('2025-07-04T15:00:00Z'); // Independence Day
    expect(await ask('plate:101/ABC123')).toEqual({ ok: false, error: 'nothing_due' });
  });

  it('no return: 60 minutes away after a stay before the same plate may park again (matched by its keyed hash)', async () => {
    const { buy, ask, at } = setup();
    expect((await buy('plate:101/ABC123', 60)).fulfilled.status).toBe('fulfilled');
    at('2025-07-09T16:30:00Z'); // 11:30, the stay ended at 11:00
    expect(await ask('plate:101/abc 123')).toEqual({ ok: false, error: 'no_return' });
    expect((await ask('plate:101/XYZ999')).ok).toBe(true);
    at('2025-07-09T17:00:00Z'); // 12:00
    expect((await ask('plate:101/ABC123')).ok).toBe(true);
  });

  it('the DST day: 60 minutes from 01:30 CST end at 03:30 CDT; the free minutes before 02:00 are not offered alone', async () => {
    const { ask, at } = setup();
    at('2025-03-09T07:30:00Z'); // Sunday 01:30 CST, an hour before the clocks jump
    const options = await optionsOf(await ask('plate:101/ABC123'));
    expect(options[0]).toEqual({ id: 'm60', amount_minor: 50, end: '2025-03-09T03:30:00-05:00' });
    expect(options.map((o) => o.id)).not.toContain('m15');
  });
});

describe('ParkingService: extending a running stay', () => {
  it('the same plate while its stay runs: offered from its expiry, priced as the whole stay less what it already costs', async () => {
    const { buy, ask, at } = setup();
    await buy('plate:101/ABC123', 60); // 10:00–11:00, 300
    at('2025-07-09T15:30:00Z'); // 10:30
    const offer = await ask('plate:101/ABC123');
    expect(offer.ok && offer.value.screen_params).toEqual({ zone: '101', expires_at: '2025-07-09T11:00:00-05:00' });
    const options = await optionsOf(offer);
    // 75 min cost 300 + 150, 90 min 300 + 300, 120 min 300 + 600 (second hour $6/h, rounded up to 150¢)
    expect(options).toEqual([
      { id: 'm15', amount_minor: 150, end: '2025-07-09T11:15:00-05:00' },
      { id: 'm30', amount_minor: 300, end: '2025-07-09T11:30:00-05:00' },
      { id: 'm60', amount_minor: 600, end: '2025-07-09T12:00:00-05:00' },
    ]);
    const ext = await buy('plate:101/ABC123', 30);
    expect(ext.quote.description_key).toBe('parking.extend');
    expect(ext.quote.receipt_lines).toContainEqual({ key: 'parking.expires_at', value: '2025-07-09T11:30:00-05:00' });
    expect(ext.fulfilled.status).toBe('fulfilled');
  });

  it('max stay counts the whole stay across extensions', async () => {
    const { buy, ask, at } = setup();
    await buy('plate:101/ABC123', 60);
    at('2025-07-09T15:30:00Z');
    await buy('plate:101/ABC123', 60); // now 10:00–12:00: the 2 hours the zone allows
    at('2025-07-09T16:00:00Z');
    expect(await ask('plate:101/ABC123')).toEqual({ ok: false, error: 'beyond_max_stay' });
    expect(await ask('plate:101/ABC123', ['m15'])).toEqual({ ok: false, error: 'beyond_max_stay' });
  });

  it('a space paid for is extended by space', async () => {
    const { buy, ask, at } = setup();
    await buy('space:101/12', 30);
    at('2025-07-09T15:20:00Z');
    const options = await optionsOf(await ask('space:101/12'));
    expect(options[0]).toMatchObject({ end: '2025-07-09T10:45:00-05:00' });
  });
});

describe('ParkingService: fulfil and refund', () => {
  it('fulfil is idempotent by tx id; a quote is paid once; a stale quote or a stay that changed meanwhile is refused', async () => {
    const { service, ask, txFor, at } = setup();
    const q = await ask('plate:101/ABC123', ['m60']);
    if (!q.ok) throw new Error('quote');
    const tx = txFor(q.value);
    expect(await service.fulfil({ tx, quote: q.value })).toEqual({ status: 'fulfilled', service_ref: q.value.quote_ref });
    expect(await service.fulfil({ tx, quote: q.value })).toEqual({ status: 'fulfilled', service_ref: q.value.quote_ref });
    expect(await service.fulfil({ tx: txFor(q.value), quote: q.value })).toMatchObject({ status: 'refused', reason: 'quote_already_used' });

    // Two extensions quoted from the same expiry: only the first one paid can be.
    at('2025-07-09T15:30:00Z');
    const [a, b] = [await ask('plate:101/ABC123', ['m15']), await ask('plate:101/ABC123', ['m15'])];
    if (!a.ok || !b.ok) throw new Error('quote');
    expect((await service.fulfil({ tx: txFor(a.value), quote: a.value })).status).toBe('fulfilled');
    expect(await service.fulfil({ tx: txFor(b.value), quote: b.value })).toMatchObject({ status: 'refused', reason: 'stay_changed' });

    const late = await ask('plate:101/XYZ999', ['m15']);
    if (!late.ok) throw new Error('quote');
    at('2025-07-09T15:41:00Z'); // 11 minutes after it was quoted
    expect(await service.fulfil({ tx: txFor(late.value), quote: late.value })).toMatchObject({ status: 'refused', reason: 'quote_expired' });
    const wrongAmount = { ...txFor(late.value), amount_minor: 1 };
    expect(await service.fulfil({ tx: wrongAmount, quote: late.value })).toMatchObject({ status: 'refused' });
  });

  it('refund cancels the session paid by that tx (idempotent), and the plate is free to buy again', async () => {
    const { service, buy, ask, sessions } = setup();
    const { tx, quote } = await buy('plate:101/ABC123', 60);
    expect(await service.refund({ tx, reason: 'credit back' })).toEqual({ ok: true, value: { undone: true } });
    expect(await service.refund({ tx, reason: 'credit back' })).toEqual({ ok: true, value: { undone: true } });
    expect(await service.refund({ tx: { ...tx, tx_id: 'other' }, reason: 'x' })).toEqual({ ok: true, value: { undone: false } });
    expect(sessions.get(quote.quote_ref)).toMatchObject({ state: 'cancelled', plate: null });
    expect(sessions.outboundSessions()).toEqual([]); // never told, nothing to tell
    const again = await ask('plate:101/ABC123');
    expect(again.ok && again.value.description_key).toBe('parking.session');
  });
});

describe('ParkingSessionStore: plates kept apart, purged once the back office has the session', () => {
  it('a session refunded while its upload as paid was on the way is told again, as cancelled', async () => {
    const { service, buy, sessions } = setup();
    const { tx, quote } = await buy('plate:101/ABC123', 60);
    const sent = sessions.outboundSessions();
    expect(await service.refund({ tx, reason: 'credit back' })).toEqual({ ok: true, value: { undone: true } });
    expect(sessions.outboundSessions()).toEqual([]); // the refund believes it was never told
    sessions.markDelivered(sent); // the back office took it as paid
    expect(sessions.outboundSessions()).toEqual([expect.objectContaining({ session_id: quote.quote_ref, status: 'cancelled' })]);
    sessions.markDelivered(sessions.outboundSessions());
    expect(sessions.outboundSessions()).toEqual([]);
    expect(sessions.get(quote.quote_ref)).toMatchObject({ state: 'cancelled', plate: null, delivered: true });
  });

  it('keeps the plate in a 0600 file only until delivered; outbound sessions carry the keyed hash, never the plate', async () => {
    const { buy, sessions, path, at, ask } = setup();
    const { quote } = await buy('plate:101/ABC123', 60);
    expect(statSync(path!).mode & 0o777).toBe(0o600);
    expect(readFileSync(path!, 'utf8')).toContain('ABC123');

    const outbound = sessions.outboundSessions();
    expect(outbound).toEqual([
      {
        session_id: quote.quote_ref,
        zone: '3f1b7c2e-8a4d-4e59-9b61-2d7e5a0c1f01',
        space: null,
        plate_hash: plateHash(PLATE_KEY, 'ABC123'),
        stay_start: '2025-07-09T10:00:00-05:00',
        start: '2025-07-09T10:00:00-05:00',
        end: '2025-07-09T11:00:00-05:00',
        status: 'paid',
      },
    ]);
    expect(JSON.stringify(outbound)).not.toContain('ABC123');

    sessions.markDelivered(outbound);
    expect(sessions.outboundSessions()).toEqual([]);
    expect(readFileSync(path!, 'utf8')).not.toContain('ABC123');
    expect(ParkingSessionStore.open(path).get(quote.quote_ref)).toMatchObject({ plate: null, delivered: true });

    // Still found by its hash: extended while it runs, no-return after.
    at('2025-07-09T15:30:00Z');
    expect((await ask('plate:101/ABC123')).ok && (await ask('plate:101/ABC123', ['m15']))).toMatchObject({ ok: true, value: { description_key: 'parking.extend' } });
  });

  it('a quote never paid is dropped with its plate an hour later', async () => {
    const { ask, path, at } = setup();
    await ask('plate:101/ABC123', ['m60']);
    expect(readFileSync(path!, 'utf8')).toContain('ABC123');
    at('2025-07-09T16:01:00Z');
    await ask('plate:101/XYZ999');
    expect(readFileSync(path!, 'utf8')).not.toContain('ABC123');
  });

  it('refuses a file it did not write', async () => {
    const { path } = setup();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path!, '{"hello":1}');
    expect(() => ParkingSessionStore.open(path)).toThrow(/move it aside/);
  });
});
