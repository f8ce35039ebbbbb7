import { connect, createServer, type Server, type Socket } from 'node:net';
import { mulberry32 } from './prng';

// A loopback TCP proxy that mistreats HTTP/1.1 requests on the way to a real
// server, chosen by a seeded PRNG so a failing run replays from its seed:
//
//   pass            forwarded, answer relayed
//   drop_request    the connection is closed before anything is forwarded
//   drop_response   forwarded whole, the server answers, the client gets nothing
//   duplicate       forwarded twice, the client gets the first answer
//   replay_old      an earlier captured request is sent again first (its answer thrown away)
//   delay           held for a while, then passed (sometimes past the client's timeout)
//   reorder         held until the next request has gone through, then forwarded
//   cut_request     part of the request reaches the server, then both sides are cut
//   cut_response    the whole request goes, part of the answer comes back, then the cut
//
// Every request goes upstream on its own connection with `connection: close`,
// so one client connection carries one request and a response ends when the
// server closes.

export const CHAOS_ACTIONS = ['pass', 'drop_request', 'drop_response', 'duplicate', 'replay_old', 'delay', 'reorder', 'cut_request', 'cut_response'] as const;
export type ChaosAction = (typeof CHAOS_ACTIONS)[number];

export interface ChaosProxyOptions {
  target: { host: string; port: number };
  seed: number;
  /** Relative weights; missing actions weigh 1, `pass` 3. */
  weights?: Partial<Record<ChaosAction, number>>;
  /** The longest `delay` (ms); each is uniform up to it. */
  maxDelayMs?: number;
  /** The longest a `reorder` waits for another request before going anyway (ms). */
  reorderWaitMs?: number;
  /** The first requests get every action once, in a seeded order, so a short run still meets them all (default true). */
  everyActionFirst?: boolean;
}

export interface ChaosProxy {
  readonly url: string;
  /** How many times each action was applied. */
  readonly counts: Record<ChaosAction, number>;
  /** From now on every request passes untouched. */
  calm(): void;
  close(): Promise<void>;
}

interface ParsedRequest {
  bytes: Buffer;
  headerLength: number;
}

/** One whole request from the front of `buf` (headers, then content-length bytes), or null if more must come. */
function takeRequest(buf: Buffer): ParsedRequest | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  if (buf.length < end + 4 + length) return null;
  // One request per upstream connection: the server closes after answering.
  const lines = head.split('\r\n').filter((l) => !/^(connection|keep-alive):/i.test(l));
  const rewritten = Buffer.from(`${lines.join('\r\n')}\r\nconnection: close\r\n\r\n`, 'latin1');
  return { bytes: Buffer.concat([rewritten, buf.subarray(end + 4, end + 4 + length)]), headerLength: rewritten.length };
}

/** Sends `bytes` upstream on a new connection (only the first `cutAt` of them, then cuts) and collects the whole answer. */
function exchange(target: { host: string; port: number }, bytes: Buffer, cutAt?: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const up = connect(target.port, target.host, () => {
      if (cutAt === undefined) up.write(bytes);
      else up.write(bytes.subarray(0, cutAt), () => up.destroy());
    });
    up.on('data', (c: Buffer) => chunks.push(c));
    up.on('error', () => undefined);
    up.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

export async function startChaosProxy(opts: ChaosProxyOptions): Promise<ChaosProxy> {
  const next = mulberry32(opts.seed);
  const random = () => next() / 2 ** 32;
  const weights = CHAOS_ACTIONS.map((a) => opts.weights?.[a] ?? (a === 'pass' ? 3 : 1));
  const total = weights.reduce((s, w) => s + w, 0);
  const pick = (): ChaosAction => {
    let r = random() * total;
    for (let i = 0; i < CHAOS_ACTIONS.length; i += 1) if ((r -= weights[i]!) < 0) return CHAOS_ACTIONS[i]!;
    return 'pass';
  };
  // Seeded Fisher-Yates over the actions other than pass.
  const opening = opts.everyActionFirst === false ? [] : CHAOS_ACTIONS.filter((a) => a !== 'pass');
  for (let i = opening.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [opening[i], opening[j]] = [opening[j]!, opening[i]!];
  }
  const counts = Object.fromEntries(CHAOS_ACTIONS.map((a) => [a, 0])) as Record<ChaosAction, number>;
  const captured: Buffer[] = [];
  let calm = false;
  /** A request held back by `reorder`, released after the next one is forwarded. */
  let held: (() => void) | null = null;
  const sockets = new Set<Socket>();

  const reply = (client: Socket, answer: Buffer, cutAt?: number) => {
    if (client.destroyed) return;
    if (cutAt === undefined) client.end(answer);
    else client.write(answer.subarray(0, cutAt), () => client.destroy());
  };

  const handle = async (client: Socket, req: ParsedRequest) => {
    const action = calm ? 'pass' : (opening.shift() ?? pick());
    counts[action] += 1;
    const release = held;
    held = null;
    const bytes = req.bytes;
    if (action !== 'replay_old') captured.push(bytes);
    switch (action) {
      case 'drop_request':
        client.destroy();
        break;
      case 'drop_response':
        await exchange(opts.target, bytes);
        client.destroy();
        break;
      case 'duplicate': {
        const first = await exchange(opts.target, bytes);
        await exchange(opts.target, bytes);
        reply(client, first);
        break;
      }
      case 'replay_old':
        await exchange(opts.target, captured[Math.floor(random() * captured.length)] ?? bytes);
        reply(client, await exchange(opts.target, bytes));
        break;
      case 'delay':
        await new Promise((r) => setTimeout(r, Math.floor(random() * (opts.maxDelayMs ?? 600))));
        reply(client, await exchange(opts.target, bytes));
        break;
      case 'reorder':
        await new Promise<void>((r) => {
          held = r;
          setTimeout(r, opts.reorderWaitMs ?? 1_000);
        });
        reply(client, await exchange(opts.target, bytes));
        break;
      case 'cut_request':
        await exchange(opts.target, bytes, req.headerLength + Math.floor(random() * Math.max(1, bytes.length - req.headerLength)));
        client.destroy();
        break;
      case 'cut_response': {
        const answer = await exchange(opts.target, bytes);
        reply(client, answer, 1 + Math.floor(random() * Math.max(1, answer.length - 1)));
        break;
      }
      default:
        reply(client, await exchange(opts.target, bytes));
    }
    // The held request goes after this one reached the server: the two arrive swapped.
    release?.();
  };

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let taken = false;
    client.on('data', (c: Buffer) => {
      if (taken) return;
      buf = Buffer.concat([buf, c]);
      const req = takeRequest(buf);
      if (req === null) return;
      taken = true;
      void handle(client, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    calm: () => {
      calm = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
