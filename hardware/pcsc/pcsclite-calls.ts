import net from 'node:net';
import type { PcscliteCardReader } from 'nfc-pcsc';

// pcsclite's callback calls as promises, and small helpers shared by the reader
// driver and its sessions.

export function connectRaw(raw: PcscliteCardReader, share_mode: number, protocol: number): Promise<number> {
  return new Promise((resolve, reject) => {
    raw.connect({ share_mode, protocol }, (err, activeProtocol) => (err ? reject(err) : resolve(activeProtocol)));
  });
}

export function disconnectRaw(raw: PcscliteCardReader, disposition: number): Promise<void> {
  return new Promise((resolve, reject) => {
    raw.disconnect(disposition, (err) => (err ? reject(err) : resolve()));
  });
}

/** True when something accepts connections at `target` within `timeout_ms`. */
export function canConnect(target: { path: string } | { host: string; port: number }, timeout_ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout_ms);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // closing something already dead
  }
}

export function describeApdu(apdu: Buffer): string {
  const hex = apdu.subarray(0, 8).toString('hex').toUpperCase();
  return apdu.length > 8 ? `${hex}... (${apdu.length} bytes)` : hex;
}
