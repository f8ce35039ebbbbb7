import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPrinter, PrintFailedError, PrinterNotReadyError, type EscPosPrinter } from '../../hardware/printer';
import { startPrinterSim, type PrinterSim } from '../../hardware/sim/printer';
import { FilePrintJournal, printReceipt, reprintLastReceipt, type ReceiptModel } from '../../src/kiosk/receipt';

// The real driver (serialport) talking to the printer simulator over a real
// socat pty pair. Receipt pictures land in .tmp/printer-sim/<test>/receipts.

const OUT = join(process.cwd(), '.tmp', 'printer-sim');
const TIMING = { status_timeout_ms: 300, poll_interval_ms: 50, job_timeout_ms: 3_000 };

const model = (over: Partial<ReceiptModel> = {}): ReceiptModel => ({
  language: 'es',
  kiosk_id: 'K-0042',
  location_label: 'Biblioteca Central — Planta 1',
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

let sim: PrinterSim;
let printer: EscPosPrinter | null = null;
let testNo = 0;

async function fresh(name: string): Promise<{ sim: PrinterSim; printer: EscPosPrinter; journalPath: string }> {
  const dir = join(OUT, `${++testNo}-${name}`);
  sim = await startPrinterSim({ dir });
  const journalPath = join(dir, 'print-journal.json');
  printer = await openPrinter(sim.path, { ...TIMING, journal: FilePrintJournal.open(journalPath) });
  return { sim, printer, journalPath };
}

beforeAll(() => rmSync(OUT, { recursive: true, force: true }));

afterEach(async () => {
  await printer?.close();
  printer = null;
  await sim?.stop();
});

describe('receipt printer over a serial pty (socat) and the printer simulator', () => {
  it('prints a Spanish receipt and a Portuguese one; the accents come back intact', async () => {
    const { sim, printer } = await fresh('es-pt');
    expect(await printer.status()).toEqual({ status: 'ready' });

    await printReceipt(printer, model());
    await printReceipt(printer, model({ language: 'pt', service: 'parking', tx_id: '01JPB3Y0AAAAAAAAAAAA', amount_minor: 325, balance_after_minor: 425 }));
    const [es, pt] = await sim.waitForReceipts(2);

    for (const s of ['Recibo', 'Biblioteca Central - Planta 1', 'Pago realizado', 'Multa de biblioteca', 'Saldo en la tarjeta', 'Transacción', '¿Preguntas? Indique el número de', '¡Gracias!', '**** 4821', '$12.50']) {
      expect(es!.text).toContain(s);
    }
    expect(es!.qr).toEqual(['01JPB3XK7Q8R2M4N6P9S']);
    expect(es!.codepages).toEqual(['cp858']);
    expect(es!.cut).toBe(true);
    expect(es!.bold).toContain('Pago realizado');
    for (const s of ['Pagamento efetuado', 'Estacionamento', 'Cartão', 'Saldo no cartão', 'Transação', 'Dúvidas? Informe o número da transação.', 'US$ 3,25']) {
      expect(pt!.text).toContain(s);
    }
    expect(pt!.qr).toEqual(['01JPB3Y0AAAAAAAAAAAA']);
    expect([...es!.unknown, ...pt!.unknown]).toEqual([]);

    // Pictures for a person to look at.
    const files = sim.filesFor(2)!;
    expect(readFileSync(files.txt, 'utf8')).toContain('Transação');
    expect(readFileSync(files.svg, 'utf8')).toMatch(/^<svg[\s\S]*Transação[\s\S]*<\/svg>\n$/);
  });

  it('refuses to print when paper is out, sending nothing, and prints once paper is loaded', async () => {
    const { sim, printer } = await fresh('paper-out');
    sim.setPaper('out');
    expect(await printer.status()).toEqual({ status: 'paper_out' });
    const before = sim.bytesReceived;
    const e = await printReceipt(printer, model()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrinterNotReadyError);
    expect((e as Error).message).toBe('printer out of paper: receipt 01JPB3XK7Q8R2M4N6P9S was not printed');
    expect(sim.bytesReceived - before).toBe(9); // DLE EOT 1, 2 and 4: questions only, no receipt bytes
    sim.setPaper('ok');
    expect(await printReceipt(printer, model())).toMatchObject({ status: 'printed' });
    expect(sim.receipts).toHaveLength(1);
  });

  it('cover open: refused before printing; opened while printing: that job fails and a retry prints it whole', async () => {
    const { sim, printer } = await fresh('cover');
    sim.setCover('open');
    await expect(printReceipt(printer, model())).rejects.toThrow('printer cover is open: receipt 01JPB3XK7Q8R2M4N6P9S was not printed');
    sim.setCover('closed');

    sim.failDuringNextReceipt('cover_open');
    const e = await printReceipt(printer, model()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrintFailedError);
    expect((e as PrintFailedError).printer_status).toEqual({ status: 'cover_open' });
    expect(sim.receipts.map((r) => r.cut)).toEqual([false]);

    sim.setCover('closed');
    expect(await printReceipt(printer, model())).toMatchObject({ status: 'printed' });
    const receipts = await sim.waitForReceipts(2);
    expect(receipts[1]!.cut).toBe(true);
    expect(receipts[1]!.qr).toEqual(['01JPB3XK7Q8R2M4N6P9S']);
  });

  it('paper running out mid-receipt fails that job', async () => {
    const { sim, printer } = await fresh('paper-mid-job');
    sim.failDuringNextReceipt('paper_out');
    await expect(printReceipt(printer, model())).rejects.toThrow(/^printer out of paper while printing receipt 01JPB3XK7Q8R2M4N6P9S/);
  });

  it('no duplicate on retry, even through a reconnect; "reprint last" prints DUPLICADO in big letters', async () => {
    const { sim, journalPath } = await fresh('retry-reprint');
    expect(await printReceipt(printer!, model())).toMatchObject({ status: 'printed' });
    expect(await printReceipt(printer!, model())).toEqual({ status: 'already_printed', job_id: '01JPB3XK7Q8R2M4N6P9S' });

    // The kiosk restarts: new connection, journal read back from disk.
    await printer!.close();
    const journal = FilePrintJournal.open(journalPath);
    printer = await openPrinter(sim.path, { ...TIMING, journal });
    expect(await printReceipt(printer, model())).toEqual({ status: 'already_printed', job_id: '01JPB3XK7Q8R2M4N6P9S' });

    expect(await reprintLastReceipt(printer, journal, 'button-1')).toMatchObject({ status: 'printed' });
    const receipts = await sim.waitForReceipts(2);
    expect(receipts).toHaveLength(2);
    expect(receipts[0]!.large).toEqual(['Recibo']);
    expect(receipts[1]!.large).toEqual(['DUPLICADO', 'Recibo', 'DUPLICADO']);
    expect(receipts[1]!.text.split('\n')[0]!.trim()).toBe('DUPLICADO');
    expect(receipts[1]!.text).toContain('¡Gracias!');
    expect(receipts[1]!.qr).toEqual(receipts[0]!.qr);
  });

  it('a printer that does not answer is reported plainly', async () => {
    const { sim, printer } = await fresh('not-answering');
    sim.setPowered(false);
    expect(await printer.status()).toEqual({ status: 'offline', reason: 'not_answering' });
    await expect(printReceipt(printer, model())).rejects.toThrow('printer not answering: receipt 01JPB3XK7Q8R2M4N6P9S was not printed');
  });

  it('stop() ends exactly the socat it started', async () => {
    const { sim } = await fresh('stop');
    const pid = sim.pid;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await printer!.close();
    printer = null;
    await sim.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(sim.path)).toBe(false);
  });
});
