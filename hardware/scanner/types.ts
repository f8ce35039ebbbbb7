import type { EventEmitter } from 'node:events';

// A barcode scanner, behind one small interface (like serialport's
// BindingInterface). Implementations: hid-pos.ts (USB HID Point of Sale via
// node-hid), keyboard-wedge.ts (scanners that type the code as keystrokes),
// and the simulator in hardware/sim/scanner.

export interface Scan {
  /** The decoded text, as the scanner sent it. Never logged: a code may identify a person's fine. */
  text: string;
  /** AIM symbology identifier when the scanner reports one (e.g. "]C0" for Code 128). */
  symbology: string | null;
  at_ms: number;
}

export type BarcodeScannerEvents = {
  scan: [Scan];
  connected: [];
  disconnected: [reason: string];
  error: [ScannerError];
};

export interface BarcodeScanner extends Pick<EventEmitter<BarcodeScannerEvents>, 'on' | 'once' | 'off'> {
  close(): Promise<void>;
}

export class ScannerError extends Error {
  override name = 'ScannerError';
}
