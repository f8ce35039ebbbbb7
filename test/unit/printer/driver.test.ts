import { describe, expect, it } from 'vitest';
import { EscPosPrinter } from '../../../hardware/printer/escpos-printer';
import { MemoryPrintJournal } from '../../../hardware/printer/journal';
import {
  PrintFailedError,
  PrinterClosedError,
  PrinterNotReadyError,
  type PrinterTransport,
  type ReceiptDocument,
} from '../../../hardware/printer/types';
import { SimPrinterTransport } from '../../../hardware/sim/printer/memory-transport';

// The real driver against the simulator core, in memory (serialport's MockBinding pattern).

const FAST = { status_timeout_ms: 50, poll_interval_ms: 10, job_timeout_ms: 300 };
const doc: ReceiptDocument = { blocks: [{ kind: 'text', text: 'Recibo' }, { kind: 'qr', data: 'TX-1' }], duplicate_label: 'DUPLICADO' };

function setup() {
  const sim = new SimPrinterTransport();
  const printer = new EscPosPrinter(sim, FAST);
  return { sim, printer };
}

const STATUS_QUERIES = [0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04];

describe('status', () => {
  it('asks DLE EOT 1, 2 and 4, and nothing else', async () => {
    const { sim, printer } = setup();
    expect(await printer.status()).toEqual({ status: 'ready' });
    expect([...sim.recording]).toEqual(STATUS_QUERIES);
  });

  it('reports paper near end, paper out, cover open, offline', async () => {
    const { sim, printer } = setup();
    sim.core.setPaper('near_end');
    expect(await printer.status()).toEqual({ status: 'paper_near_end' });
    sim.core.setPaper('out');
    expect(await printer.status()).toEqual({ status: 'paper_out' });
    sim.core.setPaper('ok');
    sim.core.setCover('open');
    expect(await printer.status()).toEqual({ status: 'cover_open' });
    sim.core.setCover('closed');
    sim.core.setOffline(true);
    expect(await printer.status()).toEqual({ status: 'offline', reason: 'offline' });
  });

  it('a printer that does not answer is "not answering", after one unanswered question', async () => {
    const { sim, printer } = setup();
    sim.core.setPowered(false);
    expect(await printer.status()).toEqual({ status: 'offline', reason: 'not_answering' });
    expect([...sim.recording]).toEqual([0x10, 0x04, 0x01]);
  });

  it('is `unknown` on a connection that cannot read answers', async () => {
    const written: Uint8Array[] = [];
    const writeOnly: PrinterTransport = {
      description: '/dev/usb/lp0',
      canRead: false,
      write: async (b) => void written.push(b),
      read: async () => null,
      discard: () => undefined,
      close: async () => undefined,
    };
    const printer = new EscPosPrinter(writeOnly, FAST);
    expect(await printer.status()).toEqual({ status: 'unknown', reason: 'status cannot be read over /dev/usb/lp0' });
    expect(await printer.print(doc, { jobId: 'j1' })).toEqual({ status: 'printed', job_id: 'j1', after: { status: 'unknown', reason: 'status cannot be read over /dev/usb/lp0' } });
    expect(await printer.print(doc, { jobId: 'j1' })).toEqual({ status: 'already_printed', job_id: 'j1' });
    expect(written).toHaveLength(1);
  });
});

describe('printing', () => {
  it('checks status, sends the receipt and GS r 1, checks status again', async () => {
    const { sim, printer } = setup();
    expect(await printer.print(doc, { jobId: 'tx-1' })).toEqual({ status: 'printed', job_id: 'tx-1', after: { status: 'ready' } });
    const rec = [...sim.recording];
    expect(rec.slice(0, 9)).toEqual(STATUS_QUERIES);
    expect(rec.slice(-12)).toEqual([0x1d, 0x72, 0x01, ...STATUS_QUERIES]);
    expect(sim.receipts.map((r) => r.text)).toEqual(['Recibo\n[QR TX-1]']);
  });

  it('prints on paper near end and says so', async () => {
    const { sim, printer } = setup();
    sim.core.setPaper('near_end');
    expect(await printer.print(doc, { jobId: 'tx-1' })).toMatchObject({ status: 'printed', after: { status: 'paper_near_end' } });
  });

  it.each([
    ['paper out', (s: SimPrinterTransport) => s.core.setPaper('out'), 'printer out of paper: receipt tx-1 was not printed'],
    ['cover open', (s: SimPrinterTransport) => s.core.setCover('open'), 'printer cover is open: receipt tx-1 was not printed'],
    ['offline', (s: SimPrinterTransport) => s.core.setOffline(true), 'printer offline: receipt tx-1 was not printed'],
    ['powered off', (s: SimPrinterTransport) => s.core.setPowered(false), 'printer not answering: receipt tx-1 was not printed'],
  ])('refuses the job before sending a byte of it when %s', async (_, make, message) => {
    const { sim, printer } = setup();
    make(sim);
    const e = await printer.print(doc, { jobId: 'tx-1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrinterNotReadyError);
    expect((e as Error).message).toBe(message);
    expect([...sim.recording].every((b, i) => b === STATUS_QUERIES[i % 9])).toBe(true); // only status questions
    sim.core.setPaper('ok');
    sim.core.setCover('closed');
    sim.core.setOffline(false);
    sim.core.setPowered(true);
    expect(sim.receipts).toHaveLength(0);
    // Not recorded: once the printer is fixed, the same job prints.
    expect(await printer.print(doc, { jobId: 'tx-1' })).toMatchObject({ status: 'printed' });
  });

  it.each([
    ['paper_out', 'printer out of paper while printing receipt tx-1'],
    ['cover_open', 'printer cover is open while printing receipt tx-1'],
  ] as const)('fails the job when %s happens while it prints, and prints it in full on retry', async (what, message) => {
    const { sim, printer } = setup();
    sim.core.failDuringNextReceipt(what);
    const e = await printer.print(doc, { jobId: 'tx-1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrintFailedError);
    expect((e as Error).message).toContain(message);
    expect(sim.receipts.map((r) => [r.text, r.cut])).toEqual([['Recibo', false]]);

    sim.core.setPaper('ok');
    sim.core.setCover('closed');
    expect(await printer.print(doc, { jobId: 'tx-1' })).toMatchObject({ status: 'printed' });
    expect(sim.receipts.map((r) => [r.text, r.cut])).toEqual([
      ['Recibo', false],
      ['Recibo\n[QR TX-1]', true],
    ]);
  });

  it('prints a job id once: a retry is `already_printed` and sends nothing', async () => {
    const { sim, printer } = setup();
    await printer.print(doc, { jobId: 'tx-1' });
    sim.clearRecording();
    expect(await printer.print(doc, { jobId: 'tx-1' })).toEqual({ status: 'already_printed', job_id: 'tx-1' });
    expect(sim.recording).toHaveLength(0);
    expect(sim.receipts).toHaveLength(1);
  });

  it('two concurrent prints of one job id print one receipt', async () => {
    const { sim, printer } = setup();
    const results = await Promise.all([printer.print(doc, { jobId: 'tx-1' }), printer.print(doc, { jobId: 'tx-1' })]);
    expect(results.map((r) => r.status)).toEqual(['printed', 'already_printed']);
    expect(sim.receipts).toHaveLength(1);
  });

  it('prints a duplicate with the banner large above and below, and records it as the last receipt', async () => {
    const journal = new MemoryPrintJournal();
    const sim = new SimPrinterTransport();
    const printer = new EscPosPrinter(sim, { ...FAST, journal });
    await printer.print(doc, { jobId: 'tx-1' });
    await printer.print(doc, { jobId: 'reprint:1', duplicate: true });
    expect(sim.receipts[1]!.large).toEqual(['DUPLICADO', 'DUPLICADO']);
    expect(sim.receipts[1]!.lines[0]!.trim()).toBe('DUPLICADO');
    expect(sim.receipts[0]!.large).toEqual([]);
    expect(await journal.last()).toEqual({ job_id: 'reprint:1', doc: { ...doc, duplicate: true } });
  });

  it('counts a job whose GS r is never answered as printed when the printer stays ready (models without GS r)', async () => {
    const sim = new SimPrinterTransport();
    const quiet: PrinterTransport = { ...sim, canRead: true, description: 'x', write: (b) => sim.write(b.length === 3 && b[0] === 0x1d && b[1] === 0x72 ? new Uint8Array() : b), read: (a, t) => sim.read(a, t), discard: (a) => sim.discard(a), close: () => sim.close() };
    const printer = new EscPosPrinter(quiet, FAST);
    const t0 = Date.now();
    expect(await printer.print(doc, { jobId: 'tx-1' })).toMatchObject({ status: 'printed' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(FAST.job_timeout_ms - 20);
  });

  it('refuses work once closed', async () => {
    const { printer } = setup();
    await printer.close();
    await printer.close();
    await expect(printer.status()).rejects.toBeInstanceOf(PrinterClosedError);
    await expect(printer.print(doc, { jobId: 'x' })).rejects.toBeInstanceOf(PrinterClosedError);
  });
});
