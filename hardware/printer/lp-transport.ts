// A printer on the Linux usblp driver (/dev/usb/lp0...): plain file writes.
// Nothing is read back, so the driver reports status `unknown` rather than guess
// (usblp's LPGETSTATUS ioctl would need a native addon).

import { open, type FileHandle } from 'node:fs/promises';
import { PrinterClosedError, PrinterNotAnsweringError, type PrinterTransport } from './types';

export class LpTransport implements PrinterTransport {
  readonly canRead = false;
  private closed = false;

  private constructor(
    private readonly file: FileHandle,
    readonly description: string,
  ) {}

  static async open(path: string): Promise<LpTransport> {
    try {
      // 'r+' does not create or truncate: a wrong path fails instead of making a file.
      return new LpTransport(await open(path, 'r+'), path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? `${path} does not exist: is the printer plugged in and switched on?`
        : code === 'EACCES' ? `no permission to open ${path}: add the kiosk user to the lp group or install the udev rule`
        : code === 'EBUSY' ? `${path} is in use by another program (CUPS?)`
        : `cannot open ${path}: ${(e as Error).message}`;
      throw new PrinterNotAnsweringError(why, { cause: e });
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new PrinterClosedError();
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.file.write(bytes, done, bytes.length - done);
        if (bytesWritten === 0) throw new Error('the device accepted no bytes');
        done += bytesWritten;
      }
    } catch (e) {
      throw new PrinterNotAnsweringError(`writing to ${this.description} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  read(): Promise<number | null> {
    return Promise.resolve(null);
  }

  discard(): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close().catch(() => undefined);
  }
}
