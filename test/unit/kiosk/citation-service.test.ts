import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PaymentTx, Quote } from '../../../src/kiosk/machines/contracts';
import { CitationService, CitationStore, parseCitations } from '../../../src/kiosk/services/citations';
import { paymentTx } from '../../support/ledger-fixtures';

const FIXTURE = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/citations/downtown.json'), 'utf8')) as unknown;

function setup() {
  const parsed = parseCitations(FIXTURE);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const path = join(mkdtempSync(join(tmpdir(), 'civicard-citations-')), 'citations-paid.json');
  const store = CitationStore.open(path);
  const service = new CitationService({ book: parsed.book, store });
  const ask = (reference: string) => service.quote({ kind: 'citation', reference, card_ref: 'c1' });
  let n = 0;
  const txFor = (quote: Quote): PaymentTx => {
    n += 1;
    return paymentTx(n, { tx_id: `tx-${n}`, kind: 'citation', card_ref: 'c1', amount_minor: quote.amount_minor, balance_before_minor: 10_000, expected_balance_after_minor: 10_000 - quote.amount_minor, tmac_counter_before: 1, quote_ref: quote.quote_ref });
  };
  return { service, store, path, ask, txFor };
}

describe('CitationService', () => {
  it('quotes a scanned citation from the file: amount due, opaque quote ref, its number on the receipt', async () => {
    const { ask } = setup();
    const q = await ask('4000123002');
    expect(q.ok && q.value).toMatchObject({ kind: 'citation', amount_minor: 4_500, receipt_lines: [{ key: 'citation.number', value: '4000123002' }] });
    expect(q.ok && q.value.quote_ref).toMatch(/^cit:[0-9a-f-]{36}$/);
    expect(q.ok && q.value.quote_ref).not.toContain('4000123002');
  });

  it('refuses a bad check digit or unknown format (not_found), an unknown citation (not_found), one already paid (already_paid)', async () => {
    const { ask } = setup();
    expect(await ask('4000123003')).toEqual({ ok: false, error: 'not_found' }); // check digit wrong
    expect(await ask('CIT-4000123')).toEqual({ ok: false, error: 'not_found' });
    expect(await ask('4000123044')).toEqual({ ok: false, error: 'not_found' }); // valid, not in the file
    expect(await ask('4000123028')).toEqual({ ok: false, error: 'already_paid' });
  });

  it('fulfil marks it paid once (idempotent by tx id); a second payment for it is refused; refund undoes only its own', async () => {
    const { service, store, ask, txFor, path } = setup();
    const [a, b] = [await ask('4000123010'), await ask('4000123010')];
    if (!a.ok || !b.ok) throw new Error('quote');
    const tx = txFor(a.value);
    expect(await service.fulfil({ tx, quote: a.value })).toEqual({ status: 'fulfilled', service_ref: a.value.quote_ref });
    expect(await service.fulfil({ tx, quote: a.value })).toEqual({ status: 'fulfilled', service_ref: a.value.quote_ref });
    expect(await service.fulfil({ tx: txFor(b.value), quote: b.value })).toEqual({ status: 'refused', reason: 'already_paid' });
    expect(await ask('4000123010')).toEqual({ ok: false, error: 'already_paid' });
    expect(store.outboundPayments()).toEqual([{ number: '4000123010', tx_id: tx.tx_id }]);
    store.markDelivered([{ number: '4000123010', tx_id: 'another payment' }]); // not what is held: still to tell
    expect(store.outboundPayments()).toHaveLength(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Kept across a restart.
    expect(CitationStore.open(path).paidBy('4000123010')).toBe(tx.tx_id);

    expect(await service.refund({ tx: txFor(b.value), reason: 'x' })).toEqual({ ok: true, value: { undone: false } });
    expect(await service.refund({ tx, reason: 'x' })).toEqual({ ok: true, value: { undone: true } });
    expect((await ask('4000123010')).ok).toBe(true);
  });

  it('fulfil of a quote it never made, or with another amount, is refused', async () => {
    const { service, ask, txFor } = setup();
    const q = await ask('4000123036');
    if (!q.ok) throw new Error('quote');
    expect(await service.fulfil({ tx: { ...txFor(q.value), quote_ref: 'cit:nope' }, quote: { ...q.value, quote_ref: 'cit:nope' } })).toMatchObject({ status: 'refused', reason: 'unknown_quote' });
    expect(await service.fulfil({ tx: { ...txFor(q.value), amount_minor: 1 }, quote: q.value })).toMatchObject({ status: 'refused', reason: 'amount_mismatch' });
  });

  it('a citations file that cannot be used names every bad field', () => {
    const bad = parseCitations({ format: 'civicard-citations/1', currency: 'usd', citations: [{ number: '4000123003', amount_minor: 1.5, status: 'due' }] });
    expect(bad).toEqual({
      ok: false,
      errors: [
        '$.currency: must be an ISO 4217 code',
        '$.citations[0].number: must be 10 digits ending in their Luhn check digit',
        '$.citations[0].amount_minor: must be a positive integer (minor units)',
        '$.citations[0].status: must be "open" or "paid"',
      ],
    });
    expect(parseCitations([])).toMatchObject({ ok: false, errors: expect.arrayContaining([expect.stringMatching(/^\$\.format/)]) });
  });
});
