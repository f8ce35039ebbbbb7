import { EventEmitter } from 'node:events';
import { HidPosAssembler } from './hid-pos-report';
import { ScannerError, type BarcodeScanner, type BarcodeScannerEvents } from './types';

// A HID POS barcode scanner through node-hid. The device is opened by a
// factory (by path or VID/PID — enumerating needs udev, so it is never done
// here); on unplug the scanner says so and reopens on a backoff timer.

/** What we use of a node-hid device. */
export interface HidDevice {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): void;
}

export interface HidPosScannerOptions {
  open: () => HidDevice;
  retry_ms?: { first: number; max: number };
  now?: () => number;
}

export class HidPosScanner extends EventEmitter<BarcodeScannerEvents> implements BarcodeScanner {
  private device: HidDevice | null = null;
  private readonly assembler = new HidPosAssembler();
  private retryTimer: NodeJS.Timeout | null = null;
  private retry_ms: number;
  private closed = false;

  constructor(private readonly opts: HidPosScannerOptions) {
    super();
    this.retry_ms = opts.retry_ms?.first ?? 500;
    this.tryOpen();
  }

  private tryOpen(): void {
    if (this.closed) return;
    try {
      const device = this.opts.open();
      this.device = device;
      this.retry_ms = this.opts.retry_ms?.first ?? 500;
      device.on('data', (data) => this.onReport(data));
      device.on('error', (err) => this.lost(`scanner stopped answering: ${err.message}`));
      this.emit('connected');
    } catch (err) {
      this.report(new ScannerError(`barcode scanner not found or not readable (${err instanceof Error ? err.message : String(err)}); check the USB cable and the udev rule in hardware/linux`));
      this.scheduleRetry();
    }
  }

  private onReport(data: Buffer): void {
    const result = this.assembler.push(data);
    if (result.kind === 'scan') this.emit('scan', { text: result.text, symbology: result.symbology, at_ms: (this.opts.now ?? Date.now)() });
  }

  private lost(reason: string): void {
    const device = this.device;
    this.device = null;
    this.assembler.reset();
    try {
      device?.close();
    } catch {
      // already gone
    }
    this.emit('disconnected', reason);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.tryOpen();
    }, this.retry_ms);
    this.retry_ms = Math.min(this.retry_ms * 2, this.opts.retry_ms?.max ?? 5_000);
  }

  private report(err: ScannerError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const device = this.device;
    this.device = null;
    device?.close();
  }
}

/** The real device: node-hid, opened by path (e.g. /dev/hidraw3). */
export async function openHidPosScanner(path: string): Promise<HidPosScanner> {
  const { HID } = await import('node-hid');
  return new HidPosScanner({ open: () => new HID(path) as unknown as HidDevice });
}
