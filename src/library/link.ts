import net from 'node:net';
import tls from 'node:tls';
import { LineSplitter } from './frame';

// One TCP (or TLS) connection to an ILS, as a sequence of events the client
// awaits one at a time: a line, the connection's end, or a timeout. Lines that
// arrive while nobody waits are kept (bounded) until the next request clears them.

export type LinkEvent = { kind: 'line'; line: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

export interface TlsOptions {
  /** PEM of the CA (or the self-signed certificate) to trust; the system store when absent. */
  ca?: string | Buffer;
  /** Name to verify the certificate against, when it differs from the host. */
  servername?: string;
}

export type ConnectFailure = { kind: 'unreachable' } | { kind: 'tls' } | { kind: 'timeout' };

const INBOX_MAX = 32;

export class Link {
  private readonly inbox: LinkEvent[] = [];
  private waiter: ((e: LinkEvent) => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    const splitter = new LineSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk).lines) this.deliver({ kind: 'line', line });
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.deliver({ kind: 'closed' });
    });
  }

  static connect(host: string, port: number, tlsOptions: TlsOptions | undefined, timeout_ms: number): Promise<Link | ConnectFailure> {
    return new Promise((resolve) => {
      const socket =
        tlsOptions === undefined
          ? net.connect({ host, port })
          : tls.connect({ host, port, ca: tlsOptions.ca, servername: tlsOptions.servername ?? (net.isIP(host) ? undefined : host), rejectUnauthorized: true });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeout_ms);
      const finish = (result: Link | ConnectFailure) => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners(tlsOptions === undefined ? 'connect' : 'secureConnect');
        if (!(result instanceof Link)) socket.destroy();
        resolve(result);
      };
      socket.once('error', (err: NodeJS.ErrnoException) => finish({ kind: tlsOptions !== undefined && !/^E[A-Z]+$/.test(err.code ?? '') ? 'tls' : 'unreachable' }));
      socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', () => {
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        finish(new Link(socket));
      });
    });
  }

  get alive(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Forgets lines nobody asked for (late answers to an earlier request). */
  clearInbox(): void {
    this.inbox.length = 0;
  }

  next(timeout_ms: number): Promise<LinkEvent> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve({ kind: 'timeout' });
      }, timeout_ms);
      this.waiter = (e) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(e);
      };
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private deliver(e: LinkEvent): void {
    if (this.waiter !== null) this.waiter(e);
    else if (this.inbox.length < INBOX_MAX) this.inbox.push(e);
  }
}
