import type { KeyObject } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RateLimiter } from './auth/rate-limit';
import { HEADER } from './auth/request-signing';
import { authenticateKioskRequest } from './auth/verify-request';
import type { BackOfficeStore } from './db/connect';
import { downlinkAdminOf } from './dashboard/downlink-admin';
import { outboxReportOf, recordOutboxReport } from './dashboard/outbox-report';
import { registerDashboard, type DashboardOptions } from './dashboard/routes';
import { KyselyDownlinkRepository } from './downlink/kysely-repository';
import { registerDownlinkRoutes } from './downlink/routes';
import { acknowledgedThrough, ingestBatch } from './ingest';
import { registerReplacementRoutes } from './lost-card/routes';
import { registerParkingRoutes } from './parking/routes';

// The back office's HTTP server (docs/sync-protocol.md). Every answer is JSON;
// every refusal is `{ error: CODE, message: plain words }` plus the fields the
// protocol names. Nothing a request carries (bodies, card refs) is logged:
// the log line is method, route, status, kiosk and time taken.

export interface ServerLimits {
  /** Largest request body accepted (413 beyond it). */
  bodyBytes: number;
  /** Signed requests one kiosk may make a minute (429 beyond it). */
  requestsPerMinute: number;
}

export const DEFAULT_LIMITS: ServerLimits = { bodyBytes: 4 * 1024 * 1024, requestsPerMinute: 120 };

export interface ServerOptions {
  store: BackOfficeStore;
  /** Epoch milliseconds; the clock signed timestamps are judged by. */
  now?: () => number;
  limits?: Partial<ServerLimits>;
  /** One line per answered request (no bodies, no query strings). */
  log?: (line: string) => void;
  /** The finance dashboard for staff (docs/dashboard.md). */
  dashboard?: DashboardOptions;
  /** The back office's signing key: with it, kiosks are also answered bundles and hotlists (docs/downlink.md). */
  downlink?: { key: KeyObject };
}

type Refusal = { error: string; message: string } & Record<string, unknown>;

function refuse(reply: FastifyReply, status: number, body: Refusal): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

export function buildServer(opts: ServerOptions): FastifyInstance {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const limiter = new RateLimiter(limits.requestsPerMinute);
  const rawBodies = new WeakMap<FastifyRequest, Buffer>();
  const signers = new WeakMap<FastifyRequest, string>();

  const app = Fastify({ logger: false, bodyLimit: limits.bodyBytes, return503OnClosing: true });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    rawBodies.set(req, body);
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'BAD_JSON' }), undefined);
    }
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(reply, 413, { error: 'body_too_large', message: `the body is over ${limits.bodyBytes} bytes; send fewer entries per batch` });
    if (err.code === 'BAD_JSON' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return refuse(reply, 400, { error: 'bad_request', message: 'the body is not valid JSON' });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return refuse(reply, 415, { error: 'unsupported_media_type', message: 'send the body as application/json' });
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return refuse(reply, err.statusCode, { error: 'bad_request', message: err.message });
    opts.log?.(`internal error: ${err.name}: ${err.message}`);
    return refuse(reply, 500, { error: 'internal_error', message: 'the back office could not handle this request; try again later' });
  });
  app.setNotFoundHandler((req, reply) => refuse(reply, 404, { error: 'not_found', message: `no such route: ${req.method} ${req.url.split('?')[0]}` }));

  if (opts.log !== undefined) {
    const log = opts.log;
    app.addHook('onResponse', async (req, reply) => {
      const kiosk = signers.get(req);
      log(`${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} ${reply.statusCode}${kiosk === undefined ? '' : ` kiosk=${kiosk}`} ${Math.round(reply.elapsedTime)}ms`);
    });
  }

  // A kiosk already over its limit is turned away before its body is read.
  // Only requests it really signed use up its allowance (below), so nobody
  // else can exhaust it by naming it.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    const claimed = req.headers[HEADER.kiosk];
    if (typeof claimed !== 'string') return;
    const wait = limiter.waitSeconds(claimed, now());
    if (wait > 0) return tooMany(reply, wait);
  });

  function tooMany(reply: FastifyReply, wait: number): FastifyReply {
    reply.header('retry-after', String(wait));
    return refuse(reply, 429, { error: 'rate_limited', message: `over ${limits.requestsPerMinute} requests a minute; try again in ${wait} s` });
  }

  const signed = async (req: FastifyRequest, reply: FastifyReply) => {
    const at = now();
    const auth = await authenticateKioskRequest(store, { method: req.method, path: req.url, headers: req.headers, body: rawBodies.get(req) }, at);
    if (!auth.ok) return refuse(reply, auth.status, { error: auth.error, message: auth.message });
    if (!limiter.take(auth.kiosk_id, at)) return tooMany(reply, limiter.waitSeconds(auth.kiosk_id, at));
    signers.set(req, auth.kiosk_id);
  };

  app.get('/healthz', async () => {
    await store.db.selectFrom('kiosks').select('kiosk_id').limit(1).execute();
    return { status: 'ok', store: store.dialect };
  });

  app.get('/v1/sync/status', { preHandler: signed }, async (req) => acknowledgedThrough(store, signers.get(req)!));

  app.post('/v1/sync/batch', { preHandler: signed }, async (req, reply) => {
    const kiosk_id = signers.get(req)!;
    const body = req.body as { kiosk_id?: unknown; entries?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(reply, 400, { error: 'bad_request', message: 'the body must be { "kiosk_id": …, "entries": [ … ] }' });
    if (body.kiosk_id !== kiosk_id) {
      return refuse(reply, 403, { error: 'wrong_kiosk', message: `this batch names kiosk ${String(body.kiosk_id)}, but kiosk ${kiosk_id} signed it: a kiosk sends only its own ledger` });
    }
    const outbox = outboxReportOf(body);
    if (typeof outbox === 'string') return refuse(reply, 400, { error: 'bad_request', message: outbox });
    const result = await ingestBatch(store, kiosk_id, body.entries, { now: () => new Date(now()) });
    if (result.ok) {
      if (outbox !== undefined) await recordOutboxReport(store, kiosk_id, outbox, new Date(now()));
      const { ok: _ok, ...accepted } = result;
      return accepted;
    }
    const { ok: _ok, status, ...refusal } = result;
    return refuse(reply, status, refusal);
  });

  registerParkingRoutes(app, { db: store.db, signed, signer: (req) => signers.get(req)!, now });

  const downlinkAdmin = opts.downlink === undefined ? {} : { downlink: downlinkAdminOf(store, opts.downlink.key) };
  registerDashboard(app, { store, now, log: opts.log }, { ...opts.dashboard, actions: { ...downlinkAdmin, ...opts.dashboard?.actions } });
  if (opts.downlink !== undefined) {
    const repo = KyselyDownlinkRepository.on(store.db);
    registerDownlinkRoutes(app, { repo, key: opts.downlink.key, signed, now });
  }
  registerReplacementRoutes(app, { store, signed });

  return app;
}
