import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSerialPrinter, openUsbLpPrinter, PrinterNotAnsweringError } from '../../../hardware/printer';
import { findSocat, startPrinterSim } from '../../../hardware/sim/printer';

const dir = mkdtempSync(join(tmpdir(), 'civicard-lp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/dev/usb/lp* (plain file writes)', () => {
  it('prints by writing the bytes and reports status unknown rather than guess', async () => {
    const path = join(dir, 'lp0');
    writeFileSync(path, '');
    const printer = await openUsbLpPrinter(path);
    expect(await printer.status()).toEqual({ status: 'unknown', reason: `status cannot be read over ${path}` });
    expect(await printer.print({ blocks: [{ kind: 'text', text: 'ñ' }] }, { jobId: 'j' })).toMatchObject({ status: 'printed', after: { status: 'unknown' } });
    await printer.close();
    const bytes = [...readFileSync(path)];
    expect(bytes.slice(0, 2)).toEqual([0x1b, 0x40]);
    expect(bytes).toContain(0xa4);
    expect(bytes.slice(-3)).toEqual([0x1d, 0x56, 0x01]);
  });

  it('a missing device says what to check, and creates no file', async () => {
    const path = join(dir, 'lp9');
    await expect(openUsbLpPrinter(path)).rejects.toThrow(new PrinterNotAnsweringError(`${path} does not exist: is the printer plugged in and switched on?`));
  });
});

describe('serial port by path', () => {
  it('a missing port is "printer not answering" with the path in plain words', async () => {
    const e = await openSerialPrinter({ path: join(dir, 'ttyUSB9') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrinterNotAnsweringError);
    expect((e as Error).message).toMatch(/^printer not answering \(.*ttyUSB9 does not exist: is the printer plugged in and the path right\?\)$/);
  });
});

describe('printer simulator without socat', () => {
  it('names the fix', async () => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(() => findSocat()).toThrow('the printer simulator needs socat, which is not installed; install it with: apt-get install -y socat');
      await expect(startPrinterSim({ dir })).rejects.toThrow(/apt-get install -y socat/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
