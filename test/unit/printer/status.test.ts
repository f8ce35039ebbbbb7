import { describe, expect, it } from 'vitest';
import { isStatusByte, paperFromGsR, statusFromBytes } from '../../../hardware/printer/status';
import { describeStatus } from '../../../hardware/printer/types';
import { paperSensorByteFor, statusBytesFor, type SimPrinterState } from '../../../hardware/sim/printer/core';

// DLE EOT answers as the Epson ESC/POS reference documents them: one byte,
// bits 1 and 4 set, bits 0 and 7 clear.
const READY = { printer: 0x12, offline_cause: 0x12, paper: 0x12 };

describe('DLE EOT status bytes', () => {
  it('tells status bytes from stray bytes by their fixed bits', () => {
    for (const b of [0x12, 0x16, 0x1a, 0x32, 0x52, 0x72, 0x7e]) expect(isStatusByte(b)).toBe(true);
    for (const b of [0x00, 0x0f, 0x10, 0x13, 0x11, 0x92, 0x03, 0xff]) expect(isStatusByte(b)).toBe(false);
  });

  it('reads ready, paper near end, paper out, cover open, offline, error', () => {
    expect(statusFromBytes(READY)).toEqual({ status: 'ready' });
    expect(statusFromBytes({ ...READY, paper: 0x1e })).toEqual({ status: 'paper_near_end' });
    // Paper out: printer offline (bit 3), stopped at paper end (n=2 bit 5), sensor bits 5-6 (n=4).
    expect(statusFromBytes({ printer: 0x1a, offline_cause: 0x32, paper: 0x7e })).toEqual({ status: 'paper_out' });
    expect(statusFromBytes({ ...READY, paper: 0x72 })).toEqual({ status: 'paper_out' });
    expect(statusFromBytes({ printer: 0x1a, offline_cause: 0x16, paper: 0x12 })).toEqual({ status: 'cover_open' });
    expect(statusFromBytes({ printer: 0x1a, offline_cause: 0x52, paper: 0x12 })).toEqual({ status: 'offline', reason: 'error' });
    expect(statusFromBytes({ printer: 0x1a, offline_cause: 0x12, paper: 0x12 })).toEqual({ status: 'offline', reason: 'offline' });
  });

  it('puts the cover before the paper (an open cover also reads as paper end on many models)', () => {
    expect(statusFromBytes({ printer: 0x1a, offline_cause: 0x36, paper: 0x7e })).toEqual({ status: 'cover_open' });
  });

  it('no answer, or a byte that is not a status byte, is "not answering"', () => {
    expect(statusFromBytes({ ...READY, printer: null })).toEqual({ status: 'offline', reason: 'not_answering' });
    expect(statusFromBytes({ ...READY, paper: null })).toEqual({ status: 'offline', reason: 'not_answering' });
    expect(statusFromBytes({ ...READY, offline_cause: 0x00 })).toEqual({ status: 'offline', reason: 'not_answering' });
  });

  it('GS r 1 paper sensor answers', () => {
    expect(paperFromGsR(0x00)).toBe('ok');
    expect(paperFromGsR(0x03)).toBe('near_end');
    expect(paperFromGsR(0x0c)).toBe('out');
    expect(paperFromGsR(0x0f)).toBe('out');
    expect(paperFromGsR(0x12)).toBeNull(); // a DLE EOT answer, not GS r
  });

  it('says it plainly', () => {
    expect(describeStatus({ status: 'paper_out' })).toBe('printer out of paper');
    expect(describeStatus({ status: 'offline', reason: 'not_answering' })).toBe('printer not answering');
    expect(describeStatus({ status: 'cover_open' })).toBe('printer cover is open');
  });
});

describe('the simulator answers what a printer would', () => {
  const state = (s: Partial<SimPrinterState>): SimPrinterState => ({ paper: 'ok', cover: 'closed', offline: false, powered: true, ...s });

  it('with exact bytes for each condition', () => {
    expect(statusBytesFor(state({}))).toEqual({ 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 });
    expect(statusBytesFor(state({ paper: 'near_end' }))).toEqual({ 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1e });
    expect(statusBytesFor(state({ paper: 'out' }))).toEqual({ 1: 0x1a, 2: 0x32, 3: 0x12, 4: 0x7e });
    expect(statusBytesFor(state({ cover: 'open' }))).toEqual({ 1: 0x1a, 2: 0x16, 3: 0x12, 4: 0x12 });
    expect(statusBytesFor(state({ offline: true }))).toEqual({ 1: 0x1a, 2: 0x12, 3: 0x12, 4: 0x12 });
    expect([paperSensorByteFor('ok'), paperSensorByteFor('near_end'), paperSensorByteFor('out')]).toEqual([0x00, 0x03, 0x0f]);
  });

  it('which the driver reads back as the same condition', () => {
    const read = (s: SimPrinterState) => {
      const b = statusBytesFor(s);
      return statusFromBytes({ printer: b[1], offline_cause: b[2], paper: b[4] }).status;
    };
    expect(read(state({}))).toBe('ready');
    expect(read(state({ paper: 'near_end' }))).toBe('paper_near_end');
    expect(read(state({ paper: 'out' }))).toBe('paper_out');
    expect(read(state({ cover: 'open' }))).toBe('cover_open');
    expect(read(state({ offline: true }))).toBe('offline');
  });
});
