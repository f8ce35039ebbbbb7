import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { BackOfficeDb } from '../db/schema';
import { ParkingRecords } from './records';
import { checkCitationUpload, checkSessionUpload } from './shapes';

// POST /v1/parking/sessions and POST /v1/citations/paid (docs/sync-protocol.md),
// behind the server's signed-request check: a kiosk tells only its own.

export interface ParkingRouteOptions {
  db: Kysely<BackOfficeDb>;
  /** The server's signed-request check; resolves the kiosk that signed. */
  signed: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  signer: (req: FastifyRequest) => string;
  now: () => number;
}

export function registerParkingRoutes(app: FastifyInstance, opts: ParkingRouteOptions): void {
  const records = new ParkingRecords(opts.db);

  app.post('/v1/parking/sessions', { preHandler: opts.signed }, async (req, reply) => {
    const kiosk_id = opts.signer(req);
    const checked = checkSessionUpload(req.body);
    if (!checked.ok) return reply.code(400).send({ error: 'bad_request', message: checked.message });
    if (checked.value.kiosk_id !== kiosk_id) return wrongKiosk(reply, checked.value.kiosk_id, kiosk_id);
    const result = await records.ingestSessions(kiosk_id, checked.value.plate_key_id, checked.value.sessions, new Date(opts.now()).toISOString());
    if (result.ok) {
      const { ok: _ok, ...accepted } = result;
      return accepted;
    }
    return reply.code(409).send({
      error: 'session_conflict',
      session_ids: result.conflicts.map((c) => c.record_id),
      message: `the back office holds ${result.conflicts.map((c) => `${c.record_id} ${c.reason}`).join('; ')}; nothing of this request was stored, and what was offered is kept as evidence`,
    });
  });

  app.post('/v1/citations/paid', { preHandler: opts.signed }, async (req, reply) => {
    const kiosk_id = opts.signer(req);
    const checked = checkCitationUpload(req.body);
    if (!checked.ok) return reply.code(400).send({ error: 'bad_request', message: checked.message });
    if (checked.value.kiosk_id !== kiosk_id) return wrongKiosk(reply, checked.value.kiosk_id, kiosk_id);
    const result = await records.ingestCitations(kiosk_id, checked.value.paid, new Date(opts.now()).toISOString());
    if (result.ok) {
      const { ok: _ok, ...accepted } = result;
      return accepted;
    }
    return reply.code(409).send({
      error: 'citation_conflict',
      tx_ids: result.conflicts.map((c) => c.record_id),
      message: `payments ${result.conflicts.map((c) => c.record_id).join(', ')} are held for another citation or kiosk; nothing of this request was stored, and what was offered is kept as evidence`,
    });
  });
}

function wrongKiosk(reply: FastifyReply, named: unknown, signer: string): FastifyReply {
  return reply.code(403).send({ error: 'wrong_kiosk', message: `this request names kiosk ${String(named)}, but kiosk ${signer} signed it: a kiosk tells only its own` });
}
