import { EventEmitter } from 'node:events';
import type { HidDevice } from '../../scanner/hid-pos';
import { hidPosReportsFor } from '../../scanner/hid-pos-report';
import type { BarcodeScanner, BarcodeScannerEvents } from '../../scanner/types';

// Simulated scanners of equal standing with the real ones: a BarcodeScanner
// whose scan() is a test affordance, and a fake HID device that sends the same
// reports a HID POS scanner would, for driving the real HID driver.

export class SimulatedScanner extends EventEmitter<BarcodeScannerEvents> implements BarcodeScanner {
  scan(text: string, symbology: string | null = ']C0'): void {
    this.emit('scan', { text, symbology, at_ms: Date.now() });
  }
  async close(): Promise<void> {}
}

export class SimulatedHidDevice extends EventEmitter implements HidDevice {
  closed = false;
  /** Sends the HID POS reports for `text`, one per tick, as a scanner would. */
  async scan(text: string, symbology = ']C0'): Promise<void> {
    for (const report of hidPosReportsFor(text, symbology)) {
      this.emit('data', report);
      await new Promise((r) => setImmediate(r));
    }
  }
  /** The cable is pulled. */
  unplug(): void {
    this.emit('error', new Error('device disconnected'));
  }
  close(): void {
    this.closed = true;
  }
}
