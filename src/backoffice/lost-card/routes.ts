import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BackOfficeStore } from '../db/connect';
import { findReplacement, normaliseCode } from './replacements';

// GET /v1/replacements/:code (docs/lost-card.md): an attendant station, online,
// asks what a lost card's replacement authorisation is for before it credits
// the new card. Only enrolled kiosks are answered (signed requests); the code
// stays out of the request log, which names the route, not the URL.

export interface ReplacementRouteOptions {
  store: BackOfficeStore;
  signed: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function registerReplacementRoutes(app: FastifyInstance, opts: ReplacementRouteOptions): void {
  app.get('/v1/replacements/:code', { preHandler: opts.signed }, async (req, reply) => {
    const code = normaliseCode((req.params as { code: string }).code);
    if (code === null) return reply.code(400).send({ error: 'bad_code', message: 'a replacement code is 8 letters and digits, like ABCD-2345' });
    const found = await findReplacement(opts.store, code);
    if (found === undefined) return reply.code(404).send({ error: 'unknown_code', message: 'the back office has no replacement with this code: check it with the administrator' });
    if (found.status === 'used') return reply.code(409).send({ error: 'replacement_used', message: `this replacement was already used (${found.used_at ?? 'time unknown'}); a lost card's balance goes on one new card only` });
    return { id: found.id, code: found.code, old_card_ref: found.old_card_ref, amount_minor: found.amount_minor, status: found.status };
  });
}
