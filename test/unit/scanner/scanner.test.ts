import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, parseScannedCode } from '../../../src/shared/barcodes';
import { HidPosScanner } from '../../../hardware/scanner/hid-pos';
import { HidPosAssembler, hidPosReportsFor } from '../../../hardware/scanner/hid-pos-report';
import { KeyboardWedgeScanner } from '../../../hardware/scanner/keyboard-wedge';
import type { Scan } from '../../../hardware/scanner/types';
import { SimulatedHidDevice } from '../../../hardware/sim/scanner';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('HID POS scanned-data reports', () => {
  it('reads one report: id 02, length, AIM symbology, data', () => {
    const report = Buffer.alloc(64);
    hex('02 0C 5D4330 4C46323034313920415A4242').copy(report); // "]C0" "LF20419 AZBB" (12 bytes)
    expect(new HidPosAssembler().push(report)).toEqual({ kind: 'scan', text: 'LF20419 AZBB', symbology: ']C0' });
  });

  it('reassembles a code split over several reports (more-data flag in the last byte)', () => {
    const text = 'X'.repeat(100);
    const reports = hidPosReportsFor(text);
    expect(reports).toHaveLength(2);
    expect(reports[0]![63]).toBe(1);
    expect(reports[1]![63]).toBe(0);
    const a = new HidPosAssembler();
    expect(a.push(reports[0]!)).toEqual({ kind: 'partial' });
    expect(a.push(reports[1]!)).toEqual({ kind: 'scan', text, symbology: ']C0' });
  });

  it('drops reports that are not scanned data or whose length does not fit', () => {
    const a = new HidPosAssembler();
    expect(a.push(hex('01 00 00'))).toMatchObject({ kind: 'ignored' });
    expect(a.push(Buffer.from([0x02, 0xff, 0, 0, 0, 0]))).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/does not fit/) });
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (reports) => {
        const a = new HidPosAssembler();
        for (const r of reports) a.push(r);
      }),
    );
  });
});

describe('HID POS scanner driver over a simulated device', () => {
  it('emits scans, reports an unplug, and reopens the device by itself', async () => {
    const devices: SimulatedHidDevice[] = [];
    const scanner = new HidPosScanner({ open: () => (devices[devices.length] = new SimulatedHidDevice()), retry_ms: { first: 5, max: 20 } });
    const scans: Scan[] = [];
    const events: string[] = [];
    scanner.on('scan', (s) => scans.push(s));
    scanner.on('disconnected', () => events.push('disconnected'));
    scanner.on('connected', () => events.push('connected'));
    await devices[0]!.scan('LF20419');
    devices[0]!.unplug();
    await new Promise((r) => setTimeout(r, 30));
    await devices[1]!.scan('1234567897');
    expect(scans.map((s) => s.text)).toEqual(['LF20419', '1234567897']);
    expect(events).toEqual(['disconnected', 'connected']);
    await scanner.close();
  });
});

describe('keyboard-wedge fallback', () => {
  const type = (w: KeyboardWedgeScanner, text: string, start_ms: number, gap_ms: number) => [...text, 'Enter'].forEach((key, i) => w.key({ key, at_ms: start_ms + i * gap_ms }));

  it('turns a fast burst ending in Enter into a scan, and ignores a person typing', () => {
    const w = new KeyboardWedgeScanner();
    const scans: string[] = [];
    w.on('scan', (s) => scans.push(s.text));
    type(w, 'LF20419', 0, 5);
    type(w, 'LF99999', 1_000, 120);
    expect(scans).toEqual(['LF20419']);
  });
});

describe('what a barcode means', () => {
  it('reads fine notices and citations with a valid check digit', () => {
    expect(parseScannedCode('LF20419')).toEqual({ kind: 'library_fine', fee_id: '20419' });
    const citation = `123456789${luhnCheckDigit('123456789')}`;
    expect(parseScannedCode(`${citation}\r\n`)).toEqual({ kind: 'parking_citation', citation_number: citation });
  });

  it('reads a library card (14-digit patron barcode starting with 2) as the library card number', () => {
    expect(parseScannedCode('29000000000001')).toEqual({ kind: 'library_card', card_number: '29000000000001' });
    expect(parseScannedCode('29000000000001\r\n')).toEqual({ kind: 'library_card', card_number: '29000000000001' });
    expect(parseScannedCode('39000000000001')).toEqual({ kind: 'unknown', reason: 'not_a_known_format' }); // 3…: an item, not a patron
    expect(parseScannedCode('2900000000001')).toEqual({ kind: 'unknown', reason: 'not_a_known_format' });
  });

  it('refuses garbage with a reason', () => {
    expect(parseScannedCode('1234567890')).toEqual({ kind: 'unknown', reason: 'bad_check_digit' });
    expect(parseScannedCode('LF\u0000DROP')).toEqual({ kind: 'unknown', reason: 'control_characters' });
    expect(parseScannedCode('x'.repeat(65))).toEqual({ kind: 'unknown', reason: 'too_long' });
    expect(parseScannedCode('')).toEqual({ kind: 'unknown', reason: 'empty' });
    expect(parseScannedCode('https://example.org')).toEqual({ kind: 'unknown', reason: 'not_a_known_format' });
  });

  it('never throws on any string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void parseScannedCode(s)));
  });
});
