import type { IncomingMessage, ServerResponse } from 'node:http';
import { presentedToken, tokenMatches } from './token';

// The checks every request passes before a route sees it. The API listens on
// loopback, but any web page the kiosk's browser (or a resident's, at a
// self-hosted site) opens can send requests to loopback: so the Host must be
// this kiosk (DNS rebinding), an Origin must be its own, the session token must
// be there, and a body must be JSON — which a page on another site cannot send
// without a CORS preflight that this API never answers.

export const MAX_BODY_BYTES = 4_096;

/** On every answer: nothing cached, nothing sniffed, nothing framed or run. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export interface Door {
  /** The port this listener is bound to: the only one a Host or Origin may name. */
  readonly port: number;
  readonly token: string;
}

/** `close`: the connection is ended after the answer (a refusal does not wait for a body it will not read). */
export function send(res: ServerResponse, status: number, body: unknown, opts: { close?: boolean; headers?: Record<string, string> } = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...opts.headers, ...(opts.close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

/** Host, Origin and token; answers the refusal itself and returns false when one fails. */
/** `open`: a page or asset of the web shell, which a browser fetches without the token (Host and Origin still checked). */
export function admit(req: IncomingMessage, res: ServerResponse, door: Door, opts: { query_token: boolean; open?: boolean }): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${door.port}` && host !== `localhost:${door.port}`) {
    send(res, 403, { error: `Host must be 127.0.0.1:${door.port} or localhost:${door.port}` }, { close: true });
    return false;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    send(res, 403, { error: 'requests from another origin are not accepted' }, { close: true });
    return false;
  }
  if (opts.open) return true;
  const token = presentedToken(req, opts.query_token);
  if (token === null || !tokenMatches(token, door.token)) {
    const where = opts.query_token ? '"Authorization: Bearer <token>" or ?token=<token>' : '"Authorization: Bearer <token>"';
    send(res, 401, { error: `this API needs the kiosk's session token: send ${where} (the kiosk printed where its token file is when it started)` }, { close: true, headers: { 'www-authenticate': 'Bearer' } });
    return false;
  }
  return true;
}

/** application/json, with at most a charset parameter, and that charset utf-8. */
export function isJsonContentType(header: string | undefined): boolean {
  const [type, ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || /^charset="?utf-8"?$/.test(p));
}

/**
 * The request's JSON body (`{}` when empty), or null once a refusal has been answered:
 * 415 for another content type, 400 for bad JSON, and 413 as soon as the body
 * passes MAX_BODY_BYTES, declared or arriving — the connection is then cut
 * instead of reading the rest.
 */
export function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | null> {
  if (!isJsonContentType(req.headers['content-type'])) {
    send(res, 415, { error: 'the body must be JSON: send "Content-Type: application/json"' }, { close: true });
    return Promise.resolve(null);
  }
  const tooLarge = () => {
    res.writeHead(413, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify({ error: `request body too large (over ${MAX_BODY_BYTES} bytes)` }), () => req.socket.destroy());
    return null;
  };
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(tooLarge());
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(c);
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(tooLarge());
    };
    const onEnd = () => {
      if (chunks.length === 0) return resolve({ value: {} });
      try {
        resolve({ value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        send(res, 400, { error: 'request body is not JSON' });
        resolve(null);
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/**
 * A server-sent event stream of `view()`: now, then on every change the
 * actor reports, until the client goes. `streams` holds every open stream's
 * push (so a change outside the actor can reach them too); past `max` open
 * streams the request is refused with 503 and a retry hint.
 */
export function streamViews(res: ServerResponse, o: { streams: Set<() => void>; max: number; view: () => unknown; actor: { subscribe(listener: () => void): { unsubscribe(): void } } }): void {
  if (o.streams.size >= o.max) {
    return send(res, 503, { error: `too many event streams open (at most ${o.max}): close one first` }, { close: true, headers: { 'retry-after': '5' } });
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
  const push = () => void res.write(`data: ${JSON.stringify(o.view())}\n\n`);
  o.streams.add(push);
  push();
  const sub = o.actor.subscribe(push);
  res.on('close', () => {
    o.streams.delete(push);
    sub.unsubscribe();
  });
}
