import { SimulatedScanner } from '../../../hardware/sim/scanner';
import type { SimAttendant } from '../demo/sim-attendant';
import type { SimKiosk } from '../demo/sim-kiosk';
import type { CardHand } from '../demo/resident-visit';
import { attachScanner, type ScanRefusal } from '../runtime/scanner-bridge';
import type { Route } from './api-routes';
import { readJsonBody, send } from './doors';

// The simulated devices, on a listener of their own (never on the API's port):
//   POST /sim/card/present     {"card": "<label>", "at"?: "kiosk" | "booth"} taps a simulated card (issued on first use);
//                              "staff" and "supervisor" are the booth's staff cards
//   POST /sim/card/withdraw    {"at"?: "kiosk" | "booth"} takes it away
//   POST /sim/printer/paper    {"paper": "ok" | "near_end" | "out"}
//   POST /sim/scan             {"code": "LF1234" | "<10-digit citation>"} as the kiosk's barcode scanner read it
//   GET  /sim/status           what is on each reader, the paper, whether a booth is there, the API's URL

export type Station = 'kiosk' | 'booth';
const STAFF_LABELS: Readonly<Record<string, 'attendantCard' | 'supervisorCard'>> = { staff: 'attendantCard', supervisor: 'supervisorCard' };
const SCAN_CHARS = 64;

/** `api_url`: where the kiosk's own pages are, told to the simulator panel beside them. */
export function simRoutes(kiosk: SimKiosk, opts: { attendant?: SimAttendant; api_url?: () => string } = {}): Route {
  const cards = new Map<string, Awaited<ReturnType<SimKiosk['issueCard']>>>();
  const presented = new Map<Station, { label: string; hand: CardHand }>();
  const hands = new Map<string, CardHand>();
  let paper: 'ok' | 'near_end' | 'out' = 'ok';
  const scanner = new SimulatedScanner();
  let lastRefusal: ScanRefusal | null = null;
  attachScanner(kiosk.actor, scanner, (reason) => (lastRefusal = reason));

  const handFor = (station: Station, label: string, card: Parameters<SimKiosk['counter']['hand']>[0]): CardHand => {
    const key = `${station}:${label}`;
    const counter = station === 'kiosk' ? kiosk.counter : opts.attendant!.counter;
    return hands.get(key) ?? hands.set(key, counter.hand(card)).get(key)!;
  };

  return async (req, res, path) => {
    if (req.method === 'GET' && path === '/sim/status') {
      return send(res, 200, {
        presented: { kiosk: presented.get('kiosk')?.label ?? null, booth: presented.get('booth')?.label ?? null },
        paper,
        booth: opts.attendant !== undefined,
        api_url: opts.api_url?.() ?? null,
        cards: kiosk.through_pcscd ? 'pcscd' : 'in-memory',
      });
    }
    const known = ['/sim/card/present', '/sim/card/withdraw', '/sim/printer/paper', '/sim/scan'].includes(path);
    if (req.method !== 'POST' || !known) return send(res, 404, { error: 'no such endpoint' });
    const body = await readJsonBody(req, res);
    if (!body) return;
    const fields = (typeof body.value === 'object' && body.value !== null ? body.value : {}) as Record<string, unknown>;
    if (path === '/sim/card/present' || path === '/sim/card/withdraw') {
      const at = fields.at ?? 'kiosk';
      if (at !== 'kiosk' && at !== 'booth') return send(res, 400, { error: '"at" must be kiosk or booth' });
      if (at === 'booth' && !opts.attendant) return send(res, 404, { error: 'this simulator has no attendant booth' });
      if (path === '/sim/card/withdraw') {
        const on = presented.get(at);
        if (!on) return send(res, 409, { error: `no card on the ${at} reader` });
        await on.hand.withdraw();
        presented.delete(at);
        return send(res, 200, { withdrawn: on.label, at });
      }
      const label = fields.card;
      if (typeof label !== 'string' || !/^[A-Za-z0-9-]{1,20}$/.test(label)) return send(res, 400, { error: '"card" must be a short label such as "A"' });
      const on = presented.get(at);
      if (on) return send(res, 409, { error: `card ${on.label} is still on the ${at} reader` });
      const staff = STAFF_LABELS[label];
      if (staff && !opts.attendant) return send(res, 404, { error: 'staff cards belong to the attendant booth, which this simulator does not have' });
      const onOther = [...presented.entries()].find(([, p]) => p.label === label);
      if (onOther) return send(res, 409, { error: `card ${label} is on the ${onOther[0]} reader: pull it first` });
      let masked_serial: string | null = null;
      let card;
      if (staff) card = opts.attendant![staff];
      else {
        let issued = cards.get(label);
        if (!issued) {
          issued = await kiosk.issueCard(`card-${label}`, 2_000);
          cards.set(label, issued);
        }
        card = issued.card;
        masked_serial = issued.masked_serial;
      }
      const hand = handFor(at, label, card);
      await hand.present();
      presented.set(at, { label, hand });
      return send(res, 200, { presented: label, at, masked_serial });
    }
    if (path === '/sim/scan') {
      const code = fields.code;
      if (typeof code !== 'string' || code.length === 0 || code.length > SCAN_CHARS) return send(res, 400, { error: `"code" must be the barcode's text, 1-${SCAN_CHARS} characters` });
      lastRefusal = null;
      scanner.scan(code);
      if (lastRefusal) return send(res, 409, { error: `the kiosk refused the scan: ${lastRefusal}`, refusal: lastRefusal });
      return send(res, 200, { scanned: true });
    }
    const next = fields.paper;
    if (next !== 'ok' && next !== 'near_end' && next !== 'out') return send(res, 400, { error: '"paper" must be ok, near_end or out' });
    kiosk.printerSim.setPaper(next);
    paper = next;
    return send(res, 200, { paper });
  };
}
