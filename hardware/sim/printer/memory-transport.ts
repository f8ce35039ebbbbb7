// The printer simulator as an in-memory PrinterTransport (serialport's
// MockBinding, for printers): the real driver talks to a PrinterSimCore with no
// pty in between. For unit tests; `recording` holds every byte written.

import { InputQueue } from '../../printer/input-queue';
import { PrinterClosedError, type PrinterTransport } from '../../printer/types';
import { PrinterSimCore, type SimReceipt } from './core';

export class SimPrinterTransport implements PrinterTransport {
  readonly description = 'simulated printer (in memory)';
  readonly canRead = true;
  readonly core: PrinterSimCore;
  private readonly input = new InputQueue();
  private chunks: Uint8Array[] = [];
  private closed = false;

  constructor() {
    // Answers arrive asynchronously, as they would from a device.
    this.core = new PrinterSimCore({ respond: (bytes) => setImmediate(() => this.input.push(bytes)) });
  }

  get receipts(): readonly SimReceipt[] {
    return this.core.receipts;
  }

  /** Every byte the driver wrote, in order. */
  get recording(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  clearRecording(): void {
    this.chunks = [];
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new PrinterClosedError();
    this.chunks.push(Uint8Array.from(bytes));
    this.core.receive(bytes);
  }

  read(accept: (byte: number) => boolean, timeout_ms: number): Promise<number | null> {
    return this.closed ? Promise.resolve(null) : this.input.read(accept, timeout_ms);
  }

  discard(accept?: (byte: number) => boolean): void {
    this.input.discard(accept);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.input.close();
  }
}
