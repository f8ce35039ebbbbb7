import { parseScannedCode } from '../../shared/barcodes';
import { UUID_V7 } from '../../shared/ids';
import { parseInstant } from '../../parking/wall-clock';
import type { ParkingSessionUpload } from '../../shared/parking-upload';

// The shapes of the two uploads (docs/sync-protocol.md), checked field by
// field before anything is stored. Unknown fields are refused rather than
// ignored: a kiosk build that started sending a plate would be stopped here.

export const MAX_RECORDS = 500;
const MAX_SESSION_MS = 31 * 24 * 3_600_000;

export type OfferedSession = ParkingSessionUpload;

export interface OfferedCitation {
  readonly citation_number: string;
  readonly tx_id: string;
}

const SESSION_ID = /^pk:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A tariff file's curb_zone_id (CDS: usually a UUID): letters, digits and a few separators, never markup.
const ZONE = /^[\p{L}\p{N}][\p{L}\p{N} ._:/#-]{0,63}$/u;
const SPACE = /^[A-Za-z0-9-]{1,16}$/;
const HASH = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const SESSION_FIELDS = ['session_id', 'zone', 'space', 'plate_hash', 'stay_start', 'start', 'end', 'status'];
const CITATION_FIELDS = ['citation_number', 'tx_id'];

type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function objectOf(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function listOf(body: Record<string, unknown>, name: string): unknown[] | string {
  const list = body[name];
  if (!Array.isArray(list)) return `${name} must be an array`;
  if (list.length > MAX_RECORDS) return `${name} holds ${list.length} records; send at most ${MAX_RECORDS} a request`;
  return list;
}

function extraField(o: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(o).find((k) => !allowed.includes(k));
}

const isoMs = (v: unknown): number | null => (typeof v === 'string' ? parseInstant(v) : null);

function sessionProblem(o: Record<string, unknown>): string | null {
  const extra = extraField(o, SESSION_FIELDS);
  if (extra !== undefined) return `${extra}: not a field of a parking session (a plate never travels; only its keyed hash)`;
  if (typeof o.session_id !== 'string' || !SESSION_ID.test(o.session_id)) return 'session_id: must be pk:<uuid>';
  if (typeof o.zone !== 'string' || !ZONE.test(o.zone)) return 'zone: must be 1 to 64 letters, digits, spaces or . _ : / # - (starting with a letter or digit)';
  if (o.space !== null && (typeof o.space !== 'string' || !SPACE.test(o.space))) return 'space: must be null or 1 to 16 letters, digits or dashes';
  if (o.plate_hash !== null && (typeof o.plate_hash !== 'string' || !HASH.test(o.plate_hash))) return 'plate_hash: must be null or 64 lowercase hex digits (HMAC-SHA256 under the plate key)';
  if (o.plate_hash === null && o.space === null) return 'plate_hash: a session names a plate (by its hash) or a space';
  const stay_start = isoMs(o.stay_start);
  const start = isoMs(o.start);
  const end = isoMs(o.end);
  if (stay_start === null) return 'stay_start: must be an ISO 8601 time with an offset';
  if (start === null) return 'start: must be an ISO 8601 time with an offset';
  if (end === null) return 'end: must be an ISO 8601 time with an offset';
  if (stay_start > start) return 'stay_start: must not be after start';
  if (end <= start || end - start > MAX_SESSION_MS) return 'end: must be after start, by at most 31 days';
  if (o.status !== 'paid' && o.status !== 'cancelled') return 'status: must be "paid" or "cancelled"';
  return null;
}

/** `{ kiosk_id, plate_key_id, sessions: [...] }`, or what is wrong with it (field named by its path). */
export function checkSessionUpload(body: unknown): Checked<{ kiosk_id: unknown; plate_key_id: string; sessions: OfferedSession[] }> {
  const o = objectOf(body);
  if (o === null) return { ok: false, message: 'the body must be { "kiosk_id": …, "plate_key_id": …, "sessions": [ … ] }' };
  if (typeof o.plate_key_id !== 'string' || !KEY_ID.test(o.plate_key_id)) return { ok: false, message: 'plate_key_id: must be the 16 hex digits that name the plate key the hashes were made with' };
  const list = listOf(o, 'sessions');
  if (typeof list === 'string') return { ok: false, message: list };
  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    const s = objectOf(item);
    const problem = s === null ? 'must be an object' : sessionProblem(s);
    if (problem !== null) return { ok: false, message: `sessions[${i}].${problem}` };
    if (seen.has(s!.session_id as string)) return { ok: false, message: `sessions[${i}].session_id: appears twice in this request` };
    seen.add(s!.session_id as string);
  }
  return { ok: true, value: { kiosk_id: o.kiosk_id, plate_key_id: o.plate_key_id, sessions: list as OfferedSession[] } };
}

/** `{ kiosk_id, paid: [{ citation_number, tx_id }] }`, or what is wrong with it. */
export function checkCitationUpload(body: unknown): Checked<{ kiosk_id: unknown; paid: OfferedCitation[] }> {
  const o = objectOf(body);
  if (o === null) return { ok: false, message: 'the body must be { "kiosk_id": …, "paid": [ … ] }' };
  const list = listOf(o, 'paid');
  if (typeof list === 'string') return { ok: false, message: list };
  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    const c = objectOf(item);
    if (c === null) return { ok: false, message: `paid[${i}]: must be an object` };
    const extra = extraField(c, CITATION_FIELDS);
    if (extra !== undefined) return { ok: false, message: `paid[${i}].${extra}: not a field of a paid citation` };
    if (typeof c.citation_number !== 'string' || parseScannedCode(c.citation_number).kind !== 'parking_citation') {
      return { ok: false, message: `paid[${i}].citation_number: must be 10 digits ending in their Luhn check digit` };
    }
    if (typeof c.tx_id !== 'string' || !UUID_V7.test(c.tx_id)) return { ok: false, message: `paid[${i}].tx_id: must be the payment's tx id (a UUIDv7)` };
    if (seen.has(c.tx_id)) return { ok: false, message: `paid[${i}].tx_id: appears twice in this request` };
    seen.add(c.tx_id);
  }
  return { ok: true, value: { kiosk_id: o.kiosk_id, paid: list as OfferedCitation[] } };
}
