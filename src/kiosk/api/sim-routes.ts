import type { SimKiosk } from '../demo/sim-kiosk';
import type { Route } from './api-routes';
import { readJsonBody, send } from './doors';

// The simulated devices, on a listener of their own (never on the API's port):
//   POST /sim/card/present     {"card": "<label>"} taps a simulated card (issued on first use)
//   POST /sim/card/withdraw    takes it away
//   POST /sim/printer/paper    {"paper": "ok" | "near_end" | "out"}

export function simRoutes(kiosk: SimKiosk): Route {
  const cards = new Map<string, Awaited<ReturnType<SimKiosk['issueCard']>>>();
  let presented: string | null = null;

  return async (req, res, path) => {
    const known = path === '/sim/card/present' || path === '/sim/card/withdraw' || path === '/sim/printer/paper';
    if (req.method !== 'POST' || !known) return send(res, 404, { error: 'no such endpoint' });
    const body = await readJsonBody(req, res);
    if (!body) return;
    const fields = (typeof body.value === 'object' && body.value !== null ? body.value : {}) as Record<string, unknown>;
    if (path === '/sim/card/present') {
      const label = fields.card;
      if (typeof label !== 'string' || !/^[A-Za-z0-9-]{1,20}$/.test(label)) return send(res, 400, { error: '"card" must be a short label such as "A"' });
      if (presented) return send(res, 409, { error: `card ${presented} is still on the reader` });
      let card = cards.get(label);
      if (!card) {
        card = await kiosk.issueCard(`card-${label}`, 2_000);
        cards.set(label, card);
      }
      await kiosk.counter.hand(card.card).present();
      presented = label;
      return send(res, 200, { presented: label, masked_serial: card.masked_serial });
    }
    if (path === '/sim/card/withdraw') {
      const card = presented ? cards.get(presented) : undefined;
      if (!card) return send(res, 409, { error: 'no card on the reader' });
      await kiosk.counter.hand(card.card).withdraw();
      presented = null;
      return send(res, 200, { withdrawn: true });
    }
    const paper = fields.paper;
    if (paper !== 'ok' && paper !== 'near_end' && paper !== 'out') return send(res, 400, { error: '"paper" must be ok, near_end or out' });
    kiosk.printerSim.setPaper(paper);
    return send(res, 200, { paper });
  };
}
