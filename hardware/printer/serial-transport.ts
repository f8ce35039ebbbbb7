// A printer on a serial port (RS-232, a USB-serial adapter, or a pty), opened by
// path. SerialPort.list() is never called: it shells out to udevadm, which a
// kiosk image (or a container) may not have; the path comes from configuration
// (a udev symlink such as /dev/civicard-printer, see hardware/linux).

import { SerialPort } from 'serialport';
import { InputQueue } from './input-queue';
import { PrinterClosedError, PrinterNotAnsweringError, type PrinterTransport } from './types';

export interface SerialPrinterPortOptions {
  readonly path: string;
  /** Default 9600, the factory setting of most ESC/POS printers' serial interface. */
  readonly baudRate?: number;
  /** RTS/CTS hardware flow control (DTR/DSR printers: wire it as RTS/CTS). Default false. */
  readonly rtscts?: boolean;
  /** XON/XOFF software flow control. Default false. */
  readonly xonxoff?: boolean;
}

function openError(path: string, e: unknown): PrinterNotAnsweringError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/ENOENT|No such file/i.test(msg)) return new PrinterNotAnsweringError(`${path} does not exist: is the printer plugged in and the path right?`, { cause: e });
  if (/EACCES|Permission denied/i.test(msg)) {
    return new PrinterNotAnsweringError(`no permission to open ${path}: add the kiosk user to the dialout group or install the udev rule`, { cause: e });
  }
  if (/EBUSY|Resource busy|lock/i.test(msg)) return new PrinterNotAnsweringError(`${path} is in use by another program`, { cause: e });
  return new PrinterNotAnsweringError(`cannot open ${path}: ${msg}`, { cause: e });
}

export class SerialTransport implements PrinterTransport {
  readonly canRead = true;
  private readonly input = new InputQueue();
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    readonly description: string,
  ) {
    port.on('data', (chunk: Buffer) => this.input.push(chunk));
    port.on('close', () => this.markClosed());
    // A serial error after open (device unplugged) ends the transport; the next
    // write reports it. Listening here keeps it from crashing the process.
    port.on('error', () => this.markClosed());
  }

  static async open(opts: SerialPrinterPortOptions): Promise<SerialTransport> {
    const port = new SerialPort({
      path: opts.path,
      baudRate: opts.baudRate ?? 9600,
      rtscts: opts.rtscts ?? false,
      xon: opts.xonxoff ?? false,
      xoff: opts.xonxoff ?? false,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(openError(opts.path, e)) : resolve())));
    return new SerialTransport(port, opts.path);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new PrinterClosedError();
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (e) => {
        if (e) return reject(new PrinterNotAnsweringError(`writing to ${this.description} failed: ${e.message}`, { cause: e }));
        this.port.drain((d) => (d ? reject(new PrinterNotAnsweringError(`writing to ${this.description} failed: ${d.message}`, { cause: d })) : resolve()));
      });
    });
  }

  read(accept: (byte: number) => boolean, timeout_ms: number): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    return this.input.read(accept, timeout_ms);
  }

  discard(accept?: (byte: number) => boolean): void {
    this.input.discard(accept);
  }

  async close(): Promise<void> {
    this.markClosed();
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private markClosed(): void {
    this.closed = true;
    this.input.close();
  }
}
