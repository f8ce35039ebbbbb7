import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DownlinkError } from '../../downlink';
import { bundleAnswer, hotlistAnswer } from './publish';
import type { DownlinkRepository } from './repository';

// GET /v1/config/bundle?after=N and GET /v1/hotlist?after=N (docs/downlink.md),
// behind the server's signed-request check: only an enrolled kiosk is answered.

export interface DownlinkRouteOptions {
  repo: DownlinkRepository;
  /** The back office's signing key (hotlist answers are signed per request). */
  key: KeyObject;
  /** The server's signed-request check, run before each handler. */
  signed: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  now: () => number;
}

const VERSION = /^(0|[1-9][0-9]{0,15})$/;

export function registerDownlinkRoutes(app: FastifyInstance, opts: DownlinkRouteOptions): void {
  app.get('/v1/config/bundle', { preHandler: opts.signed }, async (req, reply) => {
    const after = afterOf(req);
    if (after === null) return badAfter(reply);
    return bundleAnswer(opts.repo, after);
  });

  app.get('/v1/hotlist', { preHandler: opts.signed }, async (req, reply) => {
    const after = afterOf(req);
    if (after === null) return badAfter(reply);
    try {
      return await hotlistAnswer(opts.repo, opts.key, after, new Date(opts.now()));
    } catch (e) {
      if (e instanceof DownlinkError) return reply.code(409).send({ error: 'hotlist_ahead', message: e.message });
      throw e;
    }
  });
}

function afterOf(req: FastifyRequest): number | null {
  const after = (req.query as { after?: unknown }).after;
  return typeof after === 'string' && VERSION.test(after) && Number.isSafeInteger(Number(after)) ? Number(after) : null;
}

function badAfter(reply: FastifyReply): FastifyReply {
  return reply.code(400).send({ error: 'bad_request', message: 'after must be the version the kiosk holds, a whole number (0 for none)' });
}
