// Bytes received from a printer, waiting to be read by predicate (see
// PrinterTransport.read). Bounded: a printer that chatters (automatic status
// back left on, a wrong baud rate) cannot grow it without limit.

const MAX_QUEUED_BYTES = 4096;

interface Waiter {
  accept: (byte: number) => boolean;
  resolve: (byte: number | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class InputQueue {
  private bytes: number[] = [];
  private waiters: Waiter[] = [];

  push(chunk: Uint8Array): void {
    for (const byte of chunk) {
      const i = this.waiters.findIndex((w) => w.accept(byte));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        w!.resolve(byte);
      } else {
        this.bytes.push(byte);
        if (this.bytes.length > MAX_QUEUED_BYTES) this.bytes.shift();
      }
    }
  }

  read(accept: (byte: number) => boolean, timeout_ms: number): Promise<number | null> {
    const i = this.bytes.findIndex(accept);
    if (i >= 0) return Promise.resolve(this.bytes.splice(i, 1)[0]!);
    return new Promise((resolve) => {
      const w: Waiter = {
        accept,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(null);
        }, timeout_ms),
      };
      this.waiters.push(w);
    });
  }

  discard(accept?: (byte: number) => boolean): void {
    this.bytes = accept ? this.bytes.filter((b) => !accept(b)) : [];
  }

  /** Ends every pending read with null (the port closed). */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.waiters = [];
    this.bytes = [];
  }
}
