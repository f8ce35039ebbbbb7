import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { encodeReceipt } from '../../../hardware/printer/escpos';
import { EscPosPrinter } from '../../../hardware/printer/escpos-printer';
import { PrinterNotReadyError, type ReceiptBlock } from '../../../hardware/printer/types';
import { PrinterSimCore } from '../../../hardware/sim/printer/core';
import { SimPrinterTransport } from '../../../hardware/sim/printer/memory-transport';
import type { ReceiptInput, ReceiptOutcome, TxKind } from '../../../src/kiosk/machines/contracts';
import {
  buildReceiptDocument,
  FilePrintJournal,
  formatDateTime,
  formatMoney,
  printerStatusResult,
  printReceipt,
  printResultFor,
  RECEIPT_LABELS,
  RECEIPT_LANGUAGES,
  RECEIPT_MODEL_FIELDS,
  ReceiptModelError,
  receiptModelFrom,
  reprintLastReceipt,
  type ReceiptLanguage,
  type ReceiptModel,
} from '../../../src/kiosk/receipt';

const model = (over: Partial<ReceiptModel> = {}): ReceiptModel => ({
  language: 'es',
  kiosk_id: 'K-0042',
  location_label: 'Biblioteca Central',
  occurred_at: '2025-03-14T18:05:00Z',
  time_zone: 'America/New_York',
  country: 'US',
  currency: 'USD',
  service: 'library_fine',
  outcome: 'paid',
  amount_minor: 1250,
  balance_after_minor: 750,
  masked_serial: '**** 4821',
  tx_id: '01JPB3XK7Q8R2M4N6P9S',
  duplicate: false,
  ...over,
});

/** What the paper says, read back through the simulator. */
function printed(m: ReceiptModel): string[] {
  const core = new PrinterSimCore({ respond: () => undefined });
  core.receive(encodeReceipt(buildReceiptDocument(m)));
  return [...core.receipts[0]!.lines];
}

const OUTCOMES: ReceiptOutcome[] = ['paid', 'credited_back', 'refund_recorded', 'refund_failed', 'top_up', 'void'];
const SERVICES: TxKind[] = ['library_fine', 'parking', 'citation', 'top_up', 'void'];

describe('receipt layout', () => {
  it('Spanish', () => {
    expect(printed(model()).map((l) => l.trim()).filter((l) => l !== '')).toEqual([
      'Recibo',
      'Biblioteca Central',
      'Pago realizado',
      '-'.repeat(42),
      'Fecha                     14/03/2025 14:05'.replace(/ +/, ' '.repeat(21)),
      'Quiosco' + ' '.repeat(29) + 'K-0042',
      'Servicio' + ' '.repeat(15) + 'Multa de biblioteca',
      'Tarjeta' + ' '.repeat(26) + '**** 4821',
      '-'.repeat(42),
      'Importe' + ' '.repeat(29) + '$12.50',
      'Saldo en la tarjeta' + ' '.repeat(18) + '$7.50',
      '-'.repeat(42),
      'Transacción',
      '01JPB3XK7Q8R2M4N6P9S',
      '[QR 01JPB3XK7Q8R2M4N6P9S]',
      'Guarde este recibo.',
      '¿Preguntas? Indique el número de',
      'transacción.',
      '¡Gracias!',
    ]);
  });

  it('Portuguese and English', () => {
    const pt = printed(model({ language: 'pt', service: 'parking' })).join('\n');
    for (const s of ['Pagamento efetuado', 'Estacionamento', 'Cartão', 'US$ 12,50', 'Saldo no cartão', 'Transação', 'Dúvidas? Informe o número da transação.']) expect(pt).toContain(s);
    const en = printed(model({ language: 'en', outcome: 'top_up', service: 'top_up' })).join('\n');
    for (const s of ['Receipt', 'Top-up complete', 'Card top-up', '03/14/2025 2:05 PM', 'Card balance', '$7.50']) expect(en).toContain(s);
  });

  it('leaves the balance out when the card did not prove it, and tells the resident to ask for help when the service failed', () => {
    const lines = printed(model({ balance_after_minor: null, outcome: 'refund_failed' })).join('\n');
    expect(lines).not.toContain('Saldo');
    expect(lines).toContain('Servicio no realizado');
    expect(lines).toContain('Pida ayuda al personal con este recibo.');
  });

  it('prints the service\'s lines, labelled in the resident\'s language', () => {
    const fines = printed(model({ lines: [{ key: 'library.fines_paid', value: '2' }] })).map((l) => l.trim());
    expect(fines).toContain('Multas pagadas' + ' '.repeat(27) + '2');
    const parking = printed(
      model({
        language: 'en',
        service: 'parking',
        lines: [
          { key: 'parking.zone', value: 'Z3' },
          { key: 'parking.space', value: '214' },
          { key: 'parking.expires_at', value: '2025-03-14T19:05:00Z' },
          { key: 'parking.plate_tail', value: '7XK' },
        ],
      }),
    ).join('\n');
    for (const s of ['Zone', 'Z3', 'Space', '214', 'Valid until', '03/14/2025 3:05 PM', 'Plate ending', '7XK']) expect(parking).toContain(s);
    const pt = printed(model({ language: 'pt', service: 'citation', lines: [{ key: 'citation.number', value: 'C-2025-0042' }] })).join('\n');
    expect(pt).toContain('Nº da multa');
  });

  it('refuses a line whose key is not on the list or whose value could carry personal data', () => {
    const bad = (key: string, value: string) => () => buildReceiptDocument(model({ lines: [{ key, value } as never] }));
    expect(bad('library.patron', '29000000000001')).toThrow(/lines/);
    expect(bad('library.fines_paid', 'María Pérez')).toThrow(/lines/);
    expect(bad('parking.plate_tail', 'ABC1234')).toThrow(/lines/); // a tail, never the whole plate
    expect(bad('parking.zone', 'Calle Luna 12, apt 3')).toThrow(/lines/);
    expect(bad('citation.number', '12 Calle Luna')).toThrow(/lines/);
    expect(bad('parking.expires_at', 'tomorrow')).toThrow(/lines/);
    expect(() => buildReceiptDocument(model({ lines: Array.from({ length: 9 }, () => ({ key: 'parking.zone' as const, value: 'Z1' })) }))).toThrow(/lines/);
  });

  it('marks a duplicate in the receipt language', () => {
    expect(buildReceiptDocument(model({ duplicate: true }))).toMatchObject({ duplicate: true, duplicate_label: 'DUPLICADO' });
    expect(buildReceiptDocument(model({ language: 'en' }))).toMatchObject({ duplicate: false, duplicate_label: 'DUPLICATE' });
  });

  it('formats money exactly from minor units, and local time in the kiosk zone (DST included)', () => {
    expect(formatMoney(1, 'USD', 'en', 'US')).toBe('$0.01');
    expect(formatMoney(900719925474099, 'USD', 'en', 'US')).toBe('$9,007,199,254,740.99');
    expect(formatMoney(123456, 'EUR', 'es', 'ES')).toBe('1234,56 €');
    expect(formatMoney(500, 'JPY', 'en', 'US')).toBe('¥500');
    expect(formatDateTime('2025-01-15T17:00:00Z', 'America/New_York', 'es')).toBe('15/01/2025 12:00');
    expect(formatDateTime('2025-07-15T17:00:00Z', 'America/New_York', 'pt')).toBe('15/07/2025 13:00');
    expect(formatDateTime('2025-07-15T04:30:00Z', 'America/New_York', 'en')).toBe('07/15/2025 12:30 AM');
  });
});

describe('no personal data on a receipt (DESIGN.md §8)', () => {
  it('the model has no field for names, addresses, birth dates, documents, photos or status', () => {
    expectTypeOf<keyof ReceiptModel>().toEqualTypeOf<(typeof RECEIPT_MODEL_FIELDS)[number]>();
    const anywhere = /name|addr|birth|passport|immigra|photo|nationality|email|phone/i;
    const word = /(^|_)(street|city|zip|postal|dob|age|document|doc|licen[cs]e|ssn|image|uid|ref|patron|plate|gender|sex)(_|$)/i;
    expect(RECEIPT_MODEL_FIELDS.filter((f) => anywhere.test(f) || word.test(f))).toEqual([]);
  });

  it('prints only labels and the model values: every block of every receipt is on the allow-list', () => {
    for (const language of RECEIPT_LANGUAGES) {
      for (const outcome of OUTCOMES) {
        for (const service of SERVICES) {
          const m = model({ language, outcome, service, balance_after_minor: outcome === 'refund_recorded' ? null : 750, lines: [{ key: 'library.fines_paid', value: '3' }, { key: 'parking.expires_at', value: '2025-03-14T19:05:00Z' }] });
          const labels = allStrings(RECEIPT_LABELS[language]);
          const values = new Set([
            formatDateTime(m.occurred_at, m.time_zone, language),
            m.kiosk_id,
            m.location_label,
            m.masked_serial,
            m.tx_id,
            formatMoney(m.amount_minor, m.currency, language, m.country),
            formatMoney(750, m.currency, language, m.country),
            '3',
            formatDateTime('2025-03-14T19:05:00Z', m.time_zone, language),
          ]);
          const doc = buildReceiptDocument(m);
          for (const b of doc.blocks) expect(blockAllowed(b, labels, values), `${language}/${outcome}/${service}: ${JSON.stringify(b)}`).toBe(true);
          expect(labels.has(doc.duplicate_label!)).toBe(true);
        }
      }
    }
  });

  it('prints nothing else that travels with the model', () => {
    const smuggled = {
      ...model(),
      name: 'María Pérez',
      full_name: 'María Pérez',
      address: '12 Calle Luna',
      date_of_birth: '1990-05-01',
      document_number: 'X1234567',
      card_uid: '04A2B3C4D5E680',
    } as ReceiptModel;
    const paper = printed(smuggled).join('\n');
    for (const s of ['María', 'Pérez', 'Luna', '1990', 'X1234567', '04A2B3C4D5E680']) expect(paper).not.toContain(s);
  });

  it('refuses a card serial that is not masked, and values that are not what they claim', () => {
    expect(() => buildReceiptDocument(model({ masked_serial: '4821 1234 5678 9012' }))).toThrow(ReceiptModelError);
    expect(() => buildReceiptDocument(model({ masked_serial: '04A2B3C4D5E680' }))).toThrow(/masked_serial/);
    expect(() => buildReceiptDocument(model({ tx_id: 'María Pérez' }))).toThrow(/tx_id/);
    expect(() => buildReceiptDocument(model({ amount_minor: 12.5 }))).toThrow(/amount_minor/);
    expect(() => buildReceiptDocument(model({ time_zone: 'Mars/Olympus' }))).toThrow(/time_zone/);
    expect(() => buildReceiptDocument(model({ occurred_at: '14/03/2025' }))).toThrow(/occurred_at/);
    expect(() => buildReceiptDocument(model({ location_label: 'x'.repeat(41) }))).toThrow(/location_label/);
  });

  it('the model built from the machine contract leaves out service_ref (a patron id or a plate)', () => {
    const input: ReceiptInput = { tx_id: 'tx-9', kind: 'parking', outcome: 'paid', amount_minor: 300, masked_serial: '**** 0001', balance_after_minor: 100, service_ref: 'PLATE ABC123' };
    const kiosk = { kiosk_id: 'K-1', location_label: 'Plaza', time_zone: 'America/Chicago', country: 'US', currency: 'USD' };
    const m = receiptModelFrom(input, kiosk, { language: 'en', occurred_at: '2025-03-14T18:05:00Z' });
    expect(Object.keys(m).sort()).toEqual([...RECEIPT_MODEL_FIELDS].sort());
    expect(printed(m).join('\n')).not.toContain('ABC123');
  });

  it('the model built from the machine contract keeps only listed lines whose values pass, so a receipt still prints', () => {
    const input: ReceiptInput = {
      tx_id: 'tx-9',
      kind: 'library_fine',
      outcome: 'paid',
      amount_minor: 300,
      masked_serial: '**** 0001',
      balance_after_minor: 100,
      service_ref: null,
      lines: [
        { key: 'library.fines_paid', value: '2' },
        { key: 'library.patron_name', value: 'María Pérez' },
        { key: 'parking.plate_tail', value: 'ABC1234' },
      ],
    };
    const kiosk = { kiosk_id: 'K-1', location_label: 'Plaza', time_zone: 'America/Chicago', country: 'US', currency: 'USD' };
    const m = receiptModelFrom(input, kiosk, { language: 'en', occurred_at: '2025-03-14T18:05:00Z' });
    expect(m.lines).toEqual([{ key: 'library.fines_paid', value: '2' }]);
    const paper = printed(m).join('\n');
    expect(paper).toContain('Fines paid');
    for (const s of ['María', 'ABC1234']) expect(paper).not.toContain(s);
  });
});

function allStrings(v: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (x: unknown) => (typeof x === 'string' ? out.add(x) : x && typeof x === 'object' ? Object.values(x).forEach(walk) : undefined);
  walk(v);
  return out;
}

function blockAllowed(b: ReceiptBlock, labels: Set<string>, values: Set<string>): boolean {
  switch (b.kind) {
    case 'text':
      return labels.has(b.text) || values.has(b.text);
    case 'pair':
      return labels.has(b.label) && (values.has(b.value) || labels.has(b.value));
    case 'qr':
      return values.has(b.data);
    case 'rule':
    case 'feed':
      return true;
  }
}

describe('printing from the kiosk', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const FAST = { status_timeout_ms: 50, poll_interval_ms: 10, job_timeout_ms: 300 };

  it('prints once per transaction, even after a restart (file journal), and reprints the last as DUPLICADO', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-journal-'));
    dirs.push(dir);
    const path = join(dir, 'print-journal.json');
    const sim = new SimPrinterTransport();
    const first = new EscPosPrinter(sim, { ...FAST, journal: FilePrintJournal.open(path) });
    expect(await printReceipt(first, model())).toMatchObject({ status: 'printed', job_id: '01JPB3XK7Q8R2M4N6P9S' });

    // The kiosk restarts and the machine retries the receipt.
    const journal = FilePrintJournal.open(path);
    const again = new EscPosPrinter(sim, { ...FAST, journal });
    expect(await printReceipt(again, model())).toEqual({ status: 'already_printed', job_id: '01JPB3XK7Q8R2M4N6P9S' });
    expect(sim.receipts).toHaveLength(1);

    expect(await reprintLastReceipt(again, journal, 'press-1')).toMatchObject({ status: 'printed', job_id: 'reprint:press-1' });
    expect(await reprintLastReceipt(again, journal, 'press-1')).toMatchObject({ status: 'already_printed' });
    expect(sim.receipts).toHaveLength(2);
    expect(sim.receipts[1]!.large).toEqual(['DUPLICADO', 'Recibo', 'DUPLICADO']);
    expect(sim.receipts[1]!.text).toContain('Pago realizado');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, ids: ['01JPB3XK7Q8R2M4N6P9S', 'reprint:press-1'] });
  });

  it('has nothing to reprint on a new kiosk, and refuses a journal it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-journal-'));
    dirs.push(dir);
    const journal = FilePrintJournal.open(join(dir, 'j.json'));
    expect(await reprintLastReceipt(new EscPosPrinter(new SimPrinterTransport(), FAST), journal, 'p')).toEqual({ status: 'nothing_to_reprint' });
    writeFileSync(join(dir, 'bad.json'), '{"version":7}');
    expect(() => FilePrintJournal.open(join(dir, 'bad.json'))).toThrow(/not a version 1 journal/);
  });

  it('keeps only the newest job ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-journal-'));
    dirs.push(dir);
    const journal = FilePrintJournal.open(join(dir, 'j.json'), 3);
    for (const id of ['a', 'b', 'c', 'd']) await journal.record(id, { blocks: [] });
    expect([await journal.has('a'), await journal.has('d')]).toEqual([false, true]);
    expect(FilePrintJournal.open(join(dir, 'j.json'), 3)).toBeDefined();
  });

  it('speaks the machines’ printer faults', async () => {
    expect(printerStatusResult({ status: 'ready' })).toEqual({ ok: true, value: null });
    expect(printerStatusResult({ status: 'unknown', reason: 'lp' })).toEqual({ ok: true, value: null });
    expect(printerStatusResult({ status: 'paper_out' })).toEqual({ ok: false, error: 'out_of_paper' });
    expect(printerStatusResult({ status: 'cover_open' })).toEqual({ ok: false, error: 'cover_open' });
    expect(printerStatusResult({ status: 'offline', reason: 'error' })).toEqual({ ok: false, error: 'jam' });
    expect(printerStatusResult({ status: 'offline', reason: 'not_answering' })).toEqual({ ok: false, error: 'offline' });
    const sim = new SimPrinterTransport();
    sim.core.setPaper('out');
    const printer = new EscPosPrinter(sim, FAST);
    const attempt = printReceipt(printer, model());
    await expect(attempt).rejects.toBeInstanceOf(PrinterNotReadyError);
    expect(await printResultFor(printReceipt(printer, model()))).toEqual({ ok: false, error: 'out_of_paper' });
  });
});

// Every language has every label.
expectTypeOf(RECEIPT_LABELS).toMatchTypeOf<Record<ReceiptLanguage, unknown>>();
