import { randomUUID } from 'node:crypto';
import { quote as priceStay, type RefusalReason, type Tariffs } from '../../parking';
import { isoWithOffset } from '../../parking/wall-clock';
import { err, ok, type FulfilInput, type FulfilResult, type QuoteInput, type QuoteOption, type QuoteRefusal, type QuoteResult, type ReceiptLine, type RefundInput } from '../machines/contracts';
import { normalizePlate, plateHash, type ParkingSession, type ParkingSessionStore } from './parking-sessions';
import type { KioskService, ServiceRefundResult } from './types';

// Parking as a kiosk service, priced locally from the kiosk's CDS tariff file
// (src/parking), so it sells with the network down too. The reference names a
// vehicle or a space in a zone: `plate:<zone>/<plate>` or
// `space:<zone>/<space>` (zone by curb_zone_id or user_zone_id). The first
// quote offers durations to choose from; the second, with the chosen one, is
// payable. A stay already running for that plate or space is extended from its
// current expiry: the engine prices the whole stay (max stay counts all of it)
// and the extension costs the difference. The ledger sees only the session id.

/** The stays offered, in minutes; each is offered while the tariffs can sell it. */
export const DURATION_CHOICES = [15, 30, 60, 120, 180, 240, 360, 480, 720] as const;
/** A quote is paid within this long, or the time it priced has moved on: refused, and the money goes back. */
export const QUOTE_VALID_MS = 10 * 60_000;
/** Quotes never paid keep their plate at most this long. */
const ABANDONED_QUOTE_MS = 60 * 60_000;
/** Delivered sessions are kept this long after they end, for no-return and extensions. */
const ENDED_KEPT_MS = 24 * 3_600_000;
const MINUTE_MS = 60_000;

export interface ParkingServiceOptions {
  tariffs: Tariffs;
  sessions: ParkingSessionStore;
  /** The city's plate key (kiosk config `plate_key`). */
  plate_key: Buffer;
  /** The kiosk's clock: a stay starts when it is quoted. */
  now: () => Date;
  quote_valid_ms?: number;
}

type Target = { zone: string; zone_label: string; space: string | null; plate: string | null; plate_hash: string | null };

const REFERENCE = /^(plate|space):([A-Za-z0-9-]{1,64})\/([A-Za-z0-9 -]{1,16})$/;

/** What the engine's refusal means to the resident. */
function refusalOf(reason: RefusalReason): QuoteRefusal {
  switch (reason) {
    case 'beyond_max_stay':
      return 'beyond_max_stay';
    case 'inside_no_return':
      return 'no_return';
    case 'no_parking':
    case 'no_policy':
      return 'no_parking_now';
    case 'unknown_zone':
    case 'zone_not_in_force':
      return 'not_found';
    default:
      // The file cannot price this stay (ambiguous, no rate): a fault of the tariffs, not of the resident.
      return 'service_unavailable';
  }
}

interface Priced {
  readonly minutes: number;
  readonly amount_minor: number;
  readonly start: string;
  readonly end: string;
}

export class ParkingService implements KioskService {
  readonly kind = 'parking' as const;

  constructor(private readonly opts: ParkingServiceOptions) {}

  async quote(input: QuoteInput): Promise<QuoteResult> {
    const target = this.targetOf(input.reference);
    if (target === null) return err('not_found');
    const now_ms = Math.floor(this.opts.now().getTime() / 1000) * 1000;
    this.opts.sessions.prune(now_ms - ABANDONED_QUOTE_MS, now_ms - ENDED_KEPT_MS);
    const running = this.runningStay(target, now_ms);
    const chosen = minutesChosen(input.chosen);
    if (input.chosen !== undefined && chosen === null) return err('not_found');

    if (chosen === null) {
      const offered = this.offers(target, running, now_ms);
      if (!offered.ok) return offered;
      const options = offered.value.map(
        (p): QuoteOption => ({ id: `m${p.minutes}`, amount_minor: p.amount_minor, label_key: 'parking.duration', label_params: { minutes: p.minutes, end: p.end }, preselected: false }),
      );
      // Not payable: the resident chooses a duration and the machine quotes again.
      return ok({
        quote_ref: 'pk:choose',
        kind: this.kind,
        amount_minor: 0,
        description_key: running ? 'parking.extend' : 'parking.session',
        choose: { multiple: false, options },
        screen_params: { zone: target.zone_label, ...(target.space === null ? {} : { space: target.space }), ...(running ? { expires_at: running.end } : {}) },
      });
    }

    const priced = this.price(target, running, now_ms, chosen);
    if (!priced.ok) return priced;
    if (priced.value.amount_minor <= 0) return err('nothing_due');
    const session: ParkingSession = {
      session_id: `pk:${randomUUID()}`,
      zone: target.zone,
      space: target.space ?? running?.space ?? null,
      plate: target.plate,
      plate_hash: target.plate_hash ?? running?.plate_hash ?? null,
      stay_start: running?.stay_start ?? priced.value.start,
      start: priced.value.start,
      end: priced.value.end,
      amount_minor: priced.value.amount_minor,
      extends: running?.session_id ?? null,
      quoted_at_ms: now_ms,
      state: 'quoted',
      tx_id: null,
      delivered: false,
    };
    this.opts.sessions.put(session);
    return ok({
      quote_ref: session.session_id,
      kind: this.kind,
      amount_minor: session.amount_minor,
      description_key: running ? 'parking.extend' : 'parking.session',
      receipt_lines: receiptLines(target, session),
    });
  }

  /** Records the session as paid; refused when the quote went stale or the stay changed meanwhile. Idempotent by tx_id. */
  async fulfil({ tx, quote }: FulfilInput): Promise<FulfilResult> {
    const session = this.opts.sessions.get(tx.quote_ref ?? quote.quote_ref);
    if (session === undefined) return { status: 'refused', reason: 'unknown_quote' };
    if (session.tx_id === tx.tx_id && session.state === 'paid') return { status: 'fulfilled', service_ref: session.session_id };
    if (session.state !== 'quoted') return { status: 'refused', reason: 'quote_already_used' };
    if (tx.amount_minor !== session.amount_minor) return { status: 'refused', reason: 'amount_mismatch' };
    const now_ms = this.opts.now().getTime();
    if (now_ms - session.quoted_at_ms > (this.opts.quote_valid_ms ?? QUOTE_VALID_MS)) return { status: 'refused', reason: 'quote_expired' };
    if (this.conflicts(session)) return { status: 'refused', reason: 'stay_changed' };
    this.opts.sessions.put({ ...session, state: 'paid', tx_id: tx.tx_id });
    return { status: 'fulfilled', service_ref: session.session_id };
  }

  /** A session whose payment is given back is cancelled (and told to the back office if it was). */
  async refund({ tx }: RefundInput): Promise<ServiceRefundResult> {
    const session = tx.quote_ref === null ? undefined : this.opts.sessions.get(tx.quote_ref);
    if (session === undefined || session.tx_id !== tx.tx_id) return ok({ undone: false });
    if (session.state === 'cancelled') return ok({ undone: true });
    // Never told: nothing to tell now (its plate goes with it). Told as paid: the cancellation must follow.
    this.opts.sessions.put({ ...session, state: 'cancelled', plate: null, delivered: !session.delivered });
    return ok({ undone: true });
  }

  private targetOf(reference: string): Target | null {
    const m = REFERENCE.exec(reference.trim());
    if (m === null) return null;
    const [, by, zone_id, what] = m as unknown as [string, 'plate' | 'space', string, string];
    const zone = this.opts.tariffs.zones.find((z) => z.curb_zone_id === zone_id || z.user_zone_id === zone_id);
    if (zone === undefined) return null;
    const base = { zone: zone.curb_zone_id, zone_label: zone.user_zone_id ?? zone.curb_zone_id };
    if (by === 'space') {
      const space = what.trim();
      return /^[A-Za-z0-9-]{1,16}$/.test(space) ? { ...base, space, plate: null, plate_hash: null } : null;
    }
    const plate = normalizePlate(what);
    return plate === null ? null : { ...base, space: null, plate, plate_hash: plateHash(this.opts.plate_key, plate) };
  }

  /** The paid session a stay for this plate or space runs on now (the one ending last), if any. */
  private runningStay(target: Target, now_ms: number): ParkingSession | null {
    const latest = this.opts.sessions.paidIn(target.zone, (s) => (target.plate_hash !== null ? s.plate_hash === target.plate_hash : s.space === target.space))[0];
    return latest !== undefined && Date.parse(latest.stay_start) <= now_ms && now_ms < Date.parse(latest.end) ? latest : null;
  }

  /** When this plate's last stay in the zone ended, for no-return. */
  private lastEnd(target: Target, now_ms: number): string | undefined {
    if (target.plate_hash === null) return undefined;
    const ended = this.opts.sessions.paidIn(target.zone, (s) => s.plate_hash === target.plate_hash && Date.parse(s.end) <= now_ms)[0];
    return ended?.end;
  }

  /** Every duration the tariffs sell from here, cheapest first; or why none. Stays are prefixes of each other: the first refusal ends the list. */
  private offers(target: Target, running: ParkingSession | null, now_ms: number): { ok: true; value: Priced[] } | { ok: false; error: QuoteRefusal } {
    const offered: Priced[] = [];
    let refusal: QuoteRefusal | null = null;
    for (const minutes of DURATION_CHOICES) {
      const priced = this.price(target, running, now_ms, minutes);
      if (!priced.ok) {
        refusal = priced.error;
        break;
      }
      if (priced.value.amount_minor > 0) offered.push(priced.value);
    }
    if (offered.length > 0) return { ok: true, value: offered };
    return { ok: false, error: refusal ?? 'nothing_due' };
  }

  /** `minutes` more: from now, or from the running stay's expiry (priced as the whole stay less what it already costs). */
  private price(target: Target, running: ParkingSession | null, now_ms: number, minutes: number): { ok: true; value: Priced } | { ok: false; error: QuoteRefusal } {
    const { tariffs } = this.opts;
    if (running === null) {
      const start = isoWithOffset(now_ms, tariffs.time_zone);
      const q = priceStay({ tariffs, zone: target.zone, start, minutes, last_session_end: this.lastEnd(target, now_ms) });
      return q.ok ? { ok: true, value: { minutes, amount_minor: q.amount_minor, start, end: q.end } } : { ok: false, error: refusalOf(q.reason) };
    }
    const stay_start_ms = Date.parse(running.stay_start);
    const so_far = Math.round((Date.parse(running.end) - stay_start_ms) / MINUTE_MS);
    const before = priceStay({ tariffs, zone: target.zone, start: running.stay_start, minutes: so_far });
    const whole = priceStay({ tariffs, zone: target.zone, start: running.stay_start, minutes: so_far + minutes });
    if (!whole.ok) return { ok: false, error: refusalOf(whole.reason) };
    if (!before.ok) return { ok: false, error: 'service_unavailable' };
    return { ok: true, value: { minutes, amount_minor: whole.amount_minor - before.amount_minor, start: running.end, end: whole.end } };
  }

  /** Paid meanwhile (another payment for the same plate or space): this quote no longer follows the stay as it is. */
  private conflicts(session: ParkingSession): boolean {
    const same = (s: ParkingSession) => s.session_id !== session.session_id && (session.plate_hash !== null ? s.plate_hash === session.plate_hash : s.space === session.space);
    const latest = this.opts.sessions.paidIn(session.zone, same)[0];
    if (latest === undefined) return session.extends !== null;
    if (session.extends !== null) return latest.session_id !== session.extends;
    return Date.parse(latest.end) > Date.parse(session.start);
  }
}

function minutesChosen(chosen: readonly string[] | undefined): number | null {
  if (chosen === undefined || chosen.length !== 1) return null;
  const m = /^m(\d{1,5})$/.exec(chosen[0]!);
  const minutes = m === null ? NaN : Number(m[1]);
  return (DURATION_CHOICES as readonly number[]).includes(minutes) ? minutes : null;
}

function receiptLines(target: Target, session: ParkingSession): ReceiptLine[] {
  const lines: ReceiptLine[] = [{ key: 'parking.zone', value: target.zone_label }];
  if (session.space !== null) lines.push({ key: 'parking.space', value: session.space });
  lines.push({ key: 'parking.expires_at', value: session.end });
  if (target.plate !== null) lines.push({ key: 'parking.plate_tail', value: target.plate.slice(-3) });
  return lines;
}
