// The library-fines service against the ILS simulator on loopback TCP: the
// patron PIN, the fines offered to choose from, the payable quote for what was
// chosen, and Fee Paid per fee (BK per fee, the same on every retry).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentTx, Quote, QuoteInput } from '../../../src/kiosk/machines/contracts';
import { LibraryFineService, PARTIALLY_ACCEPTED, PatronStore, type LibraryFinesOptions } from '../../../src/kiosk/services/library-fines';
import { Sip2Client } from '../../../src/library/client';
import { loadIlsData } from '../../../src/library/ils-data';
import { IlsSimulator } from '../../../src/library/ils-simulator';
import { ILS_PROFILES, type IlsProfileName } from '../../../src/library/profiles';
import { newTxId } from '../../../src/shared/ids';
import { progressAt } from './support/fixtures';

const DATA = join(process.cwd(), 'test/fixtures/ils/library.json');
const PATRON = '29000000000001'; // PIN 1234; fines 1041 (3.50) and 1042 (1.75)
const NAME = 'Sample Patron One';
const stop: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stop.splice(0).reverse()) await s();
});

async function setup(o: { profile?: IlsProfileName; ils_requires_pin?: boolean; service?: Partial<LibraryFinesOptions> } = {}) {
  const profile = o.profile ?? 'evergreen-3m';
  const ils = new IlsSimulator({ data: loadIlsData(DATA), profile, require_pin: o.ils_requires_pin });
  const { port } = await ils.start(0, '127.0.0.1');
  stop.push(() => ils.stop());
  const client = new Sip2Client({ host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: ILS_PROFILES[profile], currency: 'USD', login: { user_id: 'kiosk', password: 'kiosk-pass' }, timeout_ms: 150, connect_timeout_ms: 150, retries: 1 });
  stop.push(() => client.close());
  const dir = mkdtempSync(join(tmpdir(), 'civicard-fines-'));
  const storePath = join(dir, 'patrons-pending.json');
  const patrons = PatronStore.open(storePath);
  const service = new LibraryFineService({ client, patrons, currency: 'USD', ...o.service });
  return { ils, client, patrons, storePath, service };
}

const ask = (extra: Partial<QuoteInput> = {}): QuoteInput => ({ kind: 'library_fine', reference: PATRON, card_ref: 'card-ref-A', ...extra });
const txFor = (quote: Quote): PaymentTx => ({ ...progressAt('recorded').tx, tx_id: newTxId(), quote_ref: quote.quote_ref, amount_minor: quote.amount_minor });

async function payable(service: LibraryFineService, chosen: string[], pin = '1234'): Promise<Quote> {
  const first = await service.quote(ask({ pin }));
  if (!first.ok) throw new Error(`first quote refused: ${first.error}`);
  const final = await service.quote(ask({ chosen }));
  if (!final.ok) throw new Error(`final quote refused: ${final.error}`);
  return final.value;
}

describe('library fines: the patron PIN', () => {
  it('asked by the site: no ILS call without a PIN; a wrong one is said so; the right one lists the fines', async () => {
    const env = await setup({ service: { require_pin: true } });
    expect(await env.service.quote(ask())).toEqual({ ok: false, error: 'pin_required' });
    expect(env.ils.connectionCount()).toBe(0);
    expect(await env.service.quote(ask({ pin: '9999' }))).toEqual({ ok: false, error: 'pin_wrong' });
    const first = await env.service.quote(ask({ pin: '1234' }));
    expect(first).toMatchObject({ ok: true, value: { amount_minor: 525, choose: { multiple: true }, screen_params: { patron_name: NAME } } });
    expect(env.patrons.size).toBe(0); // nothing kept on disk before the final quote
  });

  it('asked by the ILS (CQ N when no PIN is sent)', async () => {
    const env = await setup({ ils_requires_pin: true });
    expect(await env.service.quote(ask())).toEqual({ ok: false, error: 'pin_required' });
    expect(await env.service.quote(ask({ pin: '0000' }))).toEqual({ ok: false, error: 'pin_wrong' });
    expect(await env.service.quote(ask({ pin: '1234' }))).toMatchObject({ ok: true });
  });

  it('not asked: the fines straight away', async () => {
    const env = await setup();
    expect(await env.service.quote(ask())).toMatchObject({ ok: true, value: { choose: { options: [{ id: 'fee-0' }, { id: 'fee-1' }] } } });
  });
});

describe('library fines: choosing, and the payable quote', () => {
  it('offers each fine (fee ids from the profile), all preselected, with its text for the screen', async () => {
    const env = await setup();
    const first = await env.service.quote(ask());
    expect(first.ok && first.value.choose).toEqual({
      multiple: true,
      options: [
        { id: 'fee-0', amount_minor: 350, label_key: 'library.fine_item', label_params: { text: 'FINE Dune', amount: 350 }, preselected: true },
        { id: 'fee-1', amount_minor: 175, label_key: 'library.fine_item', label_params: { text: 'LOST Lost card replacement', amount: 175 }, preselected: true },
      ],
    });
    expect(JSON.stringify(first)).not.toContain(PATRON); // the machine never holds the card number
  });

  it('quotes one fine: its amount, an opaque ref, a receipt line, the patron and fee kept apart until paid', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-1']);
    expect(quote).toEqual({
      quote_ref: expect.stringMatching(/^sip2:[0-9a-f-]{36}$/),
      kind: 'library_fine',
      amount_minor: 175,
      description_key: 'library.fines_total',
      receipt_lines: [{ key: 'library.fines_paid', value: '1' }],
      screen_params: { patron_name: NAME },
    });
    expect(env.patrons.pendingOf(quote.quote_ref)).toEqual({ patron_id: PATRON, fees: [{ fee_id: '1042', amount_minor: 175 }] });
    const onDisk = readFileSync(env.storePath, 'utf8');
    expect(onDisk).not.toContain(NAME);
    expect(onDisk).not.toContain('1234');
  });

  it('refuses ids it did not offer, and starts over (PIN again) when the list has expired', async () => {
    let now = 0;
    const env = await setup({ service: { require_pin: true, now: () => now, choice_ttl_ms: 1_000 } });
    await env.service.quote(ask({ pin: '1234' }));
    expect(await env.service.quote(ask({ chosen: ['fee-7'] }))).toEqual({ ok: false, error: 'not_found' });
    expect(await env.service.quote(ask({ chosen: ['fee-0', 'fee-0'] }))).toEqual({ ok: false, error: 'not_found' });
    now = 1_001;
    expect(await env.service.quote(ask({ chosen: ['fee-0'] }))).toEqual({ ok: false, error: 'pin_required' });
    // another card asking for the same patron does not get the first card's list
    await env.service.quote(ask({ pin: '1234' }));
    expect(await env.service.quote(ask({ card_ref: 'card-ref-B', chosen: ['fee-0'] }))).toEqual({ ok: false, error: 'pin_required' });
  });

  it.each([
    ['fine items without fee ids (koha)', { profile: 'koha' as const }],
    ['an ILS that takes no single fees', { service: { partial_payment: false } }],
  ])('%s: nothing to choose, the whole total is quoted at once and paid with one Fee Paid and no fee id', async (_, o) => {
    const env = await setup(o);
    const first = await env.service.quote(ask());
    if (!first.ok) throw new Error(first.error);
    expect(first.value).toEqual({
      quote_ref: expect.stringMatching(/^sip2:/),
      kind: 'library_fine',
      amount_minor: 525,
      description_key: 'library.fines_total',
      receipt_lines: [{ key: 'library.fines_paid', value: '2' }],
      screen_params: { patron_name: NAME },
    });
    expect(env.patrons.pendingOf(first.value.quote_ref)).toEqual({ patron_id: PATRON, fees: null });
    const tx = txFor(first.value);
    expect(await env.service.fulfil({ tx, quote: first.value })).toEqual({ status: 'fulfilled', service_ref: `sip2:${tx.tx_id}` });
    expect(env.ils.feePaidRecords()).toEqual([expect.objectContaining({ transaction_id: tx.tx_id, fee_id: null, amount_minor: 525, accepted: true })]);
  });

  it('a single fine: nothing to choose, quoted at once and paid with its fee id', async () => {
    const env = await setup();
    const one = await payable(env.service, ['fee-0']);
    await env.service.fulfil({ tx: txFor(one), quote: one }); // 1041 paid: 1042 is the only one left
    const first = await env.service.quote(ask());
    if (!first.ok) throw new Error(first.error);
    expect(first.value).toMatchObject({ amount_minor: 175, receipt_lines: [{ key: 'library.fines_paid', value: '1' }] });
    expect(first.value.choose).toBeUndefined();
    expect(env.patrons.pendingOf(first.value.quote_ref)).toEqual({ patron_id: PATRON, fees: [{ fee_id: '1042', amount_minor: 175 }] });
  });
});

describe('library fines: Fee Paid per chosen fee', () => {
  it('one fee: CG = its id, BK = the tx id; the other fine stays', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-0']);
    const tx = txFor(quote);
    expect(await env.service.fulfil({ tx, quote })).toEqual({ status: 'fulfilled', service_ref: `sip2:${tx.tx_id}` });
    expect(env.ils.feePaidRecords()).toEqual([{ transaction_id: tx.tx_id, fee_id: '1041', amount_minor: 350, accepted: true, patron_id: PATRON }]);
    expect(env.ils.outstandingMinor(PATRON)).toBe(175);
    expect(env.patrons.size).toBe(0);
  });

  it('several fees: one Fee Paid each, BK = tx id + /n', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-0', 'fee-1']);
    const tx = txFor(quote);
    expect(await env.service.fulfil({ tx, quote })).toMatchObject({ status: 'fulfilled' });
    expect(env.ils.feePaidRecords().map((r) => [r.transaction_id, r.fee_id, r.amount_minor, r.accepted])).toEqual([
      [`${tx.tx_id}/1`, '1041', 350, true],
      [`${tx.tx_id}/2`, '1042', 175, true],
    ]);
    expect(env.ils.outstandingMinor(PATRON)).toBe(0);
  });

  it('the answer to the second fee lost, then a restart: the retry sends the same two messages and nothing is posted twice', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-0', 'fee-1']);
    const tx = txFor(quote);
    const feePaid = env.client.feePaid.bind(env.client);
    let sent = 0;
    env.client.feePaid = async (call) => {
      if (++sent === 2) env.ils.dropNextAnswers(10); // the ILS posts the second fee; its answers never arrive
      return feePaid(call);
    };
    expect(await env.service.fulfil({ tx, quote })).toEqual({ status: 'queued', service_ref: `sip2:${tx.tx_id}` });
    expect(env.ils.outstandingMinor(PATRON)).toBe(0);
    env.ils.dropNextAnswers(0);
    env.client.feePaid = feePaid;

    // The kiosk restarts: a new service, the side store read back from its file.
    const again = new LibraryFineService({ client: env.client, patrons: PatronStore.open(env.storePath), currency: 'USD' });
    expect(await again.fulfil({ tx, quote: { quote_ref: quote.quote_ref, kind: 'library_fine', amount_minor: 525, description_key: 'service.library_fine' } })).toMatchObject({ status: 'fulfilled' });
    expect(env.ils.feePaidRecords().map((r) => r.transaction_id)).toEqual([`${tx.tx_id}/1`, `${tx.tx_id}/2`]);
    expect(env.ils.outstandingMinor(PATRON)).toBe(0);
    expect(PatronStore.open(env.storePath).size).toBe(0);
  });

  it('the first fee refused: nothing taken, money goes back as usual', async () => {
    const env = await setup();
    env.ils.refuseFee('1041');
    const quote = await payable(env.service, ['fee-0', 'fee-1']);
    const tx = txFor(quote);
    expect(await env.service.fulfil({ tx, quote })).toEqual({ status: 'refused', reason: 'service_refused' });
    expect(env.ils.feePaidRecords()).toHaveLength(1); // stopped at the first refusal
    expect(await env.service.refund({ tx, reason: 'service_refused' })).toEqual({ ok: true, value: { undone: false } });
  });

  it('a later fee refused after an earlier one was taken: refused as partial, and the service cannot undo it (staff)', async () => {
    const env = await setup();
    env.ils.refuseFee('1042');
    const quote = await payable(env.service, ['fee-0', 'fee-1']);
    const tx = txFor(quote);
    expect(await env.service.fulfil({ tx, quote })).toEqual({ status: 'refused', reason: PARTIALLY_ACCEPTED });
    expect(env.ils.outstandingMinor(PATRON)).toBe(175);
    expect(await env.service.refund({ tx, reason: PARTIALLY_ACCEPTED })).toEqual({ ok: false, error: 'service_unavailable' });
  });

  it('a tx whose amount is not the sum of the fees kept is refused before anything is sent', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-0']);
    expect(await env.service.fulfil({ tx: { ...txFor(quote), amount_minor: 999 }, quote })).toEqual({ status: 'refused', reason: 'amount_mismatch' });
    expect(env.ils.feePaidRecords()).toEqual([]);
  });

  it('a quote a resident walked away from is not kept: its patron id leaves the disk once it is stale; one being paid stays until answered', async () => {
    let now = Date.parse('2026-03-02T15:00:00Z');
    const dir = mkdtempSync(join(tmpdir(), 'civicard-fines-abandoned-'));
    const path = join(dir, 'patrons-pending.json');
    const patrons = PatronStore.open(path, { now: () => now });
    patrons.keep('sip2:walked-away', { patron_id: PATRON, fees: null });
    patrons.keep('sip2:being-paid', { patron_id: 'P-PAYING', fees: null });
    patrons.markFulfilling('sip2:being-paid');
    now += PatronStore.ABANDONED_AFTER_MS - 1;
    patrons.keep('sip2:next', { patron_id: 'P-NEXT', fees: null });
    expect(patrons.pendingOf('sip2:walked-away')).toBeDefined(); // the resident may still be at the screen
    now += 2;
    patrons.keep('sip2:later', { patron_id: 'P-LATER', fees: null });
    expect(patrons.pendingOf('sip2:walked-away')).toBeUndefined();
    expect(readFileSync(path, 'utf8')).not.toContain(PATRON);
    // Paid (the post sent, maybe unanswered): kept however old, until the ILS answers.
    expect(patrons.pendingOf('sip2:being-paid')).toMatchObject({ patron_id: 'P-PAYING' });
    // And across a restart: the store read back keeps when each was kept and which are being paid.
    now += PatronStore.ABANDONED_AFTER_MS + 1;
    const reopened = PatronStore.open(path, { now: () => now });
    reopened.keep('sip2:after-restart', { patron_id: 'P-AFTER', fees: null });
    expect([...['sip2:being-paid', 'sip2:next', 'sip2:later', 'sip2:after-restart']].map((q) => reopened.pendingOf(q) !== undefined)).toEqual([true, false, false, true]);
  });

  it('fulfil marks the quote as being paid before it calls the ILS', async () => {
    const env = await setup();
    const quote = await payable(env.service, ['fee-0']);
    await env.ils.stop();
    const tx = txFor(quote);
    expect((await env.service.fulfil({ tx, quote })).status).toBe('queued');
    expect(JSON.parse(readFileSync(env.storePath, 'utf8'))[quote.quote_ref]).toMatchObject({ fulfilling: true });
  });

  it('reads a side store written by an older kiosk (quote_ref → patron id)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-fines-old-'));
    const path = join(dir, 'p.json');
    PatronStore.open(path); // creates the directory
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, JSON.stringify({ 'sip2:q': PATRON }));
    expect(PatronStore.open(path).pendingOf('sip2:q')).toEqual({ patron_id: PATRON, fees: null });
    writeFileSync(path, JSON.stringify({ 'sip2:q': { patron_id: 3 } }));
    expect(() => PatronStore.open(path)).toThrow(/move it aside/);
  });
});
