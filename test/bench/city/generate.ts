import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';
import { canonicalJson, GENESIS_HASH, hashText, type EntryRow, type KioskKey, type PayloadInput } from '../../../src/ledger';
import { parsePayload, txIdOf } from '../../../src/ledger/payload';

// A city's kiosks, generated: what `bench:server` ingests and reconciles.
//
// Every kiosk has its own Ed25519 key (derived from the seed) and a real
// hash-chained, signed ledger in the exact row format KioskLedger writes: the
// payload is the canonical JSON of a payload parsePayload accepts, the hash is
// SHA-256 of encoding.ts's hashText, the signature Ed25519 over the hash. Rows
// are built here directly (a KioskLedger append costs an fsync'd SQLite
// transaction each); test/unit/bench/city-generate.test.ts proves them genuine
// with src/ledger's own verification and append rules.
//
// The money is consistent across kiosks: the city is simulated in time order,
// every card has one counter and one balance, and each commit — wherever it
// happens — starts at the card's counter and balance and moves the counter on.
// A card's first transaction is its opening balance at an attendant station.
//
//  - attendant stations (every 5th kiosk): a cash shift a day (opened 07:00,
//    closed 21:00, counted = expected but for the odd short shift), opening
//    balances and top-ups under the shift, a few voids of a top-up just made,
//    some payments, and credit backs of payments made at that station;
//  - self-service kiosks: payments (library fines, parking, citations), each
//    intent → committed → service_post → service_result; a few aborted (card
//    removed before the debit), a few uncertain then settled from the card, a
//    few refused by the service and refunded.
//
// Days are generated in order and cached on disk (bench-out/city/<key>/), one
// file per day plus the simulation state after it, so a larger run extends a
// smaller one: the first D days of a 3M-entry city are the 1M-entry city.

export interface CityParams {
  kiosks: number;
  cards: number;
  /** About this many entries a day, across all kiosks. */
  entries_per_day: number;
  /** Cards are issued (opening balance) over the first this-many days. */
  issue_days: number;
  seed: number;
  /** The first day, YYYY-MM-DD (UTC business days). */
  start_date: string;
}

export interface CityKiosk {
  index: number;
  kiosk_id: string;
  key: KioskKey;
  attendant: boolean;
}

export interface CityDay {
  day: number;
  date: string;
  /** Each kiosk's new rows of the day, in seq order (kiosks with none are left out). */
  kiosks: { kiosk: number; rows: EntryRow[] }[];
  entries: number;
}

export const DEFAULT_START_DATE = '2026-01-05';
const CACHE_FORMAT = 2;
const OPEN_MINUTES = 7 * 60;
const CLOSE_MINUTES = 21 * 60;
const DAY_MS = 86_400_000;
const PAYMENT_SERVICES = ['library_fine', 'parking', 'citation'] as const;
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function attendantStation(index: number): boolean {
  return index % 5 === 0;
}

/** The kiosks of a city: keys derived from the seed, so a cached day's signatures stay valid. */
export function cityKiosks(p: Pick<CityParams, 'kiosks' | 'seed'>): CityKiosk[] {
  return Array.from({ length: p.kiosks }, (_, index) => {
    const seed32 = createHash('sha256').update(`civicard-bench-kiosk/${p.seed}/${index}`).digest();
    const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed32]), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return { index, kiosk_id: kioskIdOf(publicKeyPem), key: { privateKey, publicKey, publicKeyPem }, attendant: attendantStation(index) };
  });
}

export function cardRefs(p: Pick<CityParams, 'cards' | 'seed'>): string[] {
  return Array.from({ length: p.cards }, (_, i) => createHash('sha256').update(`civicard-bench-card/${p.seed}/${i}`).digest('hex').slice(0, 32));
}

export function dateOfDay(p: Pick<CityParams, 'start_date'>, day: number): string {
  return new Date(Date.parse(`${p.start_date}T00:00:00.000Z`) + day * DAY_MS).toISOString().slice(0, 10);
}

export function cacheKey(p: CityParams): string {
  return `v${CACHE_FORMAT}-k${p.kiosks}-c${p.cards}-e${p.entries_per_day}-i${p.issue_days}-s${p.seed}-d${p.start_date}`;
}

// ---------------------------------------------------------------- simulation state

interface CardState {
  /** The card's Transaction MAC counter (0 on a new card; cards below SimState.issued are issued). */
  counter: number;
  balance: number;
  /** The last committed payment at an attendant station, if a credit back may still reverse it. */
  reversible: { tx_id: string; kiosk: number; amount: number } | null;
}

interface KioskState {
  seq: number;
  hash: string;
  busy_until_ms: number;
  shift_id: string | null;
  /** The open shift's expected cash. */
  shift_cash: number;
}

interface SimState {
  format: number;
  days_done: number;
  rng: number;
  issued: number;
  cards: CardState[];
  kiosks: KioskState[];
}

function initialState(p: CityParams): SimState {
  return {
    format: CACHE_FORMAT,
    days_done: 0,
    rng: p.seed >>> 0,
    issued: 0,
    cards: Array.from({ length: p.cards }, () => ({ counter: 0, balance: 0, reversible: null })),
    kiosks: Array.from({ length: p.kiosks }, () => ({ seq: 0, hash: GENESIS_HASH, busy_until_ms: 0, shift_id: null, shift_cash: 0 })),
  };
}

/** mulberry32 (test/support/prng.ts) with its state kept in SimState, so a cached day can be continued. */
class Rng {
  constructor(private readonly st: SimState) {}
  u32(): number {
    this.st.rng = (this.st.rng + 0x6d2b79f5) >>> 0;
    let t = this.st.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.u32() / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i += 4) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, bytes * 2);
  }
  /** A UUIDv7 at `ms` with 74 random bits. */
  uuidv7(ms: number): string {
    const h = ms.toString(16).padStart(12, '0') + this.hex(10);
    const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------- one day

class DayWriter {
  readonly rows: EntryRow[][];
  entries = 0;
  constructor(
    private readonly st: SimState,
    private readonly kiosks: readonly CityKiosk[],
    private readonly rng: Rng,
  ) {
    this.rows = kiosks.map(() => []);
  }

  /** Appends the payloads to kiosk `k`'s chain at `at_ms`, one entry each, a moment apart. */
  append(k: number, at_ms: number, payloads: readonly PayloadInput[]): number {
    const ks = this.st.kiosks[k]!;
    let t = Math.max(at_ms, ks.busy_until_ms);
    for (const input of payloads) {
      const payload = parsePayload(input);
      const payload_json = canonicalJson(payload);
      const seq = ks.seq + 1;
      const at = new Date(t).toISOString();
      const entry_id = this.rng.uuidv7(t);
      const hash = createHash('sha256').update(hashText({ seq, entry_id, at, payload_json, prev_hash: ks.hash }), 'utf8').digest('hex');
      const signature = sign(null, Buffer.from(hash, 'hex'), this.kiosks[k]!.key.privateKey).toString('base64');
      this.rows[k]!.push({ seq, entry_id, at, kind: payload.kind, tx_id: txIdOf(payload), payload: payload_json, prev_hash: ks.hash, hash, signature });
      ks.seq = seq;
      ks.hash = hash;
      t += this.rng.int(300, 1_500);
    }
    ks.busy_until_ms = t;
    this.entries += payloads.length;
    return t;
  }
}

function simulateDay(p: CityParams, st: SimState, kiosks: readonly CityKiosk[], refs: readonly string[], day: number): CityDay {
  const rng = new Rng(st);
  const w = new DayWriter(st, kiosks, rng);
  const date = dateOfDay(p, day);
  const midnight = Date.parse(`${date}T00:00:00.000Z`);
  const open_ms = midnight + OPEN_MINUTES * 60_000;
  const close_ms = midnight + CLOSE_MINUTES * 60_000;
  const attendants = kiosks.filter((k) => k.attendant).map((k) => k.index);
  const selfService = kiosks.filter((k) => !k.attendant).map((k) => k.index);
  if (attendants.length === 0 || selfService.length === 0) throw new RangeError('a city needs at least one attendant station and one self-service kiosk (kiosks ≥ 2)');

  for (const k of attendants) {
    const ks = st.kiosks[k]!;
    ks.shift_id = rng.uuidv7(open_ms);
    ks.shift_cash = 20_000;
    w.append(k, open_ms, [{ kind: 'shift_opened', shift_id: ks.shift_id, staff_ref: `staff-${k}-${day % 3}`, opening_float_minor: ks.shift_cash }]);
  }

  const txId = (ms: number) => rng.uuidv7(ms);
  const credit = (k: number, card: number, service: 'opening_balance' | 'top_up', amount: number, at_ms: number, voidIt: boolean) => {
    const c = st.cards[card]!;
    const ks = st.kiosks[k]!;
    const tx_id = txId(at_ms);
    const before = c.balance;
    const counter = c.counter;
    c.balance += amount;
    c.counter += 1;
    ks.shift_cash += amount;
    const payloads: PayloadInput[] = [
      { kind: 'credit_intent', service, tx_id, card_ref: refs[card]!, amount_minor: amount, balance_before_minor: before, expected_balance_after_minor: c.balance, tmac_counter_before: counter, service_ref: null, reverses_tx_id: null, shift_id: ks.shift_id },
      { kind: 'credit_committed', tx_id, balance_after_minor: c.balance, tmac_counter: c.counter, tmac_value: rng.hex(8) },
    ];
    if (voidIt) {
      // The resident changed their mind: the top-up is voided and the cash handed back.
      const void_id = txId(at_ms + 5_000);
      payloads.push(
        { kind: 'intent', service: 'void', tx_id: void_id, card_ref: refs[card]!, amount_minor: amount, balance_before_minor: c.balance, expected_balance_after_minor: c.balance - amount, tmac_counter_before: c.counter, service_ref: null, reverses_tx_id: tx_id, shift_id: ks.shift_id },
        { kind: 'committed', tx_id: void_id, balance_after_minor: c.balance - amount, tmac_counter: c.counter + 1, tmac_value: rng.hex(8) },
      );
      c.balance -= amount;
      c.counter += 1;
      ks.shift_cash -= amount;
    }
    w.append(k, at_ms, payloads);
  };

  const payment = (k: number, card: number, at_ms: number) => {
    const c = st.cards[card]!;
    const service = rng.pick(PAYMENT_SERVICES);
    const amount = Math.min(c.balance, service === 'library_fine' ? rng.int(25, 1_500) : service === 'parking' ? rng.int(100, 900) : rng.int(2_500, 7_500));
    if (amount <= 0) return credit(rng.pick(attendants), card, 'top_up', rng.int(10, 50) * 100, at_ms, false);
    const tx_id = txId(at_ms);
    const intent: PayloadInput = {
      kind: 'intent', service, tx_id, card_ref: refs[card]!, amount_minor: amount, balance_before_minor: c.balance, expected_balance_after_minor: c.balance - amount,
      tmac_counter_before: c.counter, service_ref: `${service}:${rng.hex(6)}`, reverses_tx_id: null, shift_id: null,
    };
    const roll = rng.float();
    if (roll < 0.01) {
      w.append(k, at_ms, [intent, { kind: 'aborted', tx_id, reason: 'card_removed_before_debit' }]);
      return;
    }
    if (roll < 0.015) {
      // The card left the field during the commit; it came back and showed the outcome.
      const committed = rng.float() < 0.5;
      const settle: PayloadInput = committed
        ? { kind: 'settled', tx_id, outcome: 'committed', evidence: { source: 'same_card', balance_minor: c.balance - amount, tmac_counter: c.counter + 1, tmac_value: rng.hex(8), proof: 'tmac' } }
        : { kind: 'settled', tx_id, outcome: 'aborted', evidence: { source: 'same_card', balance_minor: c.balance, tmac_counter: c.counter, tmac_value: null, proof: 'counter_unchanged' } };
      const posted: PayloadInput[] = committed ? [{ kind: 'service_post', tx_id }, { kind: 'service_result', tx_id, outcome: 'accepted' }] : [];
      w.append(k, at_ms, [intent, { kind: 'uncertain', tx_id, unknown: 'card_commit', cause: 'card_removed' }, settle, ...posted]);
      if (committed) {
        c.balance -= amount;
        c.counter += 1;
      }
      return;
    }
    c.balance -= amount;
    c.counter += 1;
    const refused = roll > 0.995;
    const payloads: PayloadInput[] = [
      intent,
      { kind: 'committed', tx_id, balance_after_minor: c.balance, tmac_counter: c.counter, tmac_value: rng.hex(8) },
      { kind: 'service_post', tx_id },
      { kind: 'service_result', tx_id, outcome: refused ? 'refused' : 'accepted' },
    ];
    if (refused) payloads.push({ kind: 'refund', tx_id, amount_minor: amount, reason: 'service_refused' });
    w.append(k, at_ms, payloads);
    c.reversible = attendantStation(k) && !refused ? { tx_id, kiosk: k, amount } : null;
  };

  const creditBack = (card: number, at_ms: number): boolean => {
    const c = st.cards[card]!;
    const target = c.reversible;
    if (target === null) return false;
    const tx_id = txId(at_ms);
    const amount = rng.float() < 0.5 ? target.amount : Math.max(1, Math.floor(target.amount / 2));
    const before = c.balance;
    c.balance += amount;
    c.counter += 1;
    c.reversible = null;
    w.append(target.kiosk, at_ms, [
      { kind: 'credit_intent', service: 'credit_back', tx_id, card_ref: refs[card]!, amount_minor: amount, balance_before_minor: before, expected_balance_after_minor: c.balance, tmac_counter_before: c.counter - 1, service_ref: null, reverses_tx_id: target.tx_id, shift_id: null },
      { kind: 'credit_committed', tx_id, balance_after_minor: c.balance, tmac_counter: c.counter, tmac_value: rng.hex(8) },
    ]);
    return true;
  };

  // Transactions in time order until the day's entries are reached; ~3.3 entries a transaction.
  const target = p.entries_per_day - 2 * attendants.length;
  const expectedTx = Math.max(1, Math.round(target / 3.3));
  const toIssue = day < p.issue_days ? Math.ceil((p.cards * (day + 1)) / p.issue_days) - st.issued : 0;
  const step = (close_ms - open_ms - 60_000) / expectedTx;
  let n = 0;
  while (w.entries < target + attendants.length) {
    const at_ms = Math.min(close_ms - 60_000, Math.floor(open_ms + n * step + rng.float() * step));
    const issueNow = st.issued < p.cards && (st.issued === 0 || rng.float() < toIssue / expectedTx);
    n++;
    if (issueNow) {
      credit(rng.pick(attendants), st.issued++, 'opening_balance', rng.int(10, 50) * 100, at_ms, false);
      continue;
    }
    const card = rng.int(0, st.issued - 1);
    const roll = rng.float();
    if (roll < 0.02 && creditBack(card, at_ms)) continue;
    if (roll < 0.2 || st.cards[card]!.balance < 300) credit(rng.pick(attendants), card, 'top_up', rng.int(10, 50) * 100, at_ms, rng.float() < 0.01);
    else payment(roll < 0.3 ? rng.pick(attendants) : rng.pick(selfService), card, at_ms);
  }

  for (const k of attendants) {
    const ks = st.kiosks[k]!;
    const short = rng.float() < 0.05 ? rng.int(1, 20) * 100 : 0;
    w.append(k, close_ms, [{ kind: 'shift_closed', shift_id: ks.shift_id!, staff_ref: `staff-${k}-${day % 3}`, expected_minor: ks.shift_cash, counted_minor: Math.max(0, ks.shift_cash - short) }]);
    ks.shift_id = null;
  }
  st.days_done = day + 1;
  return { day, date, kiosks: w.rows.map((rows, kiosk) => ({ kiosk, rows })).filter((k) => k.rows.length > 0), entries: w.entries };
}

// ---------------------------------------------------------------- cache

export interface City {
  params: CityParams;
  kiosks: CityKiosk[];
  cache_dir: string | null;
  /** Day `d` (0-based): from the cache, or generated (and cached) with every day before it. */
  day(d: number): CityDay;
  /** Seconds spent generating (not reading the cache) in this process. */
  generated_s: number;
}

/**
 * A city; `cacheRoot` (e.g. bench-out/city) keeps generated days for the next
 * run, keyed by every parameter; null keeps them in memory only.
 */
export function openCity(params: CityParams, cacheRoot: string | null): City {
  const kiosks = cityKiosks(params);
  const refs = cardRefs(params);
  const dir = cacheRoot === null ? null : join(cacheRoot, cacheKey(params));
  if (dir !== null) mkdirSync(dir, { recursive: true });
  const memory = new Map<number, CityDay>();
  let state: SimState | null = null;
  const dayFile = (d: number) => join(dir!, `day-${String(d).padStart(3, '0')}.json`);
  const stateFile = (d: number) => join(dir!, `state-after-${String(d).padStart(3, '0')}.json`);
  const put = (file: string, data: string) => {
    writeFileSync(`${file}.tmp`, data);
    renameSync(`${file}.tmp`, file);
  };
  const city: City = {
    params,
    kiosks,
    cache_dir: dir,
    generated_s: 0,
    day(d) {
      const held = memory.get(d);
      if (held !== undefined) return held;
      if (dir !== null && existsSync(dayFile(d))) return JSON.parse(readFileSync(dayFile(d), 'utf8')) as CityDay;
      // Continue from the newest state before d.
      if (state === null || state.days_done > d) {
        state = initialState(params);
        if (dir !== null) {
          for (let s = d - 1; s >= 0; s--) {
            if (existsSync(stateFile(s))) {
              state = JSON.parse(readFileSync(stateFile(s), 'utf8')) as SimState;
              break;
            }
          }
        }
      }
      let out: CityDay | undefined;
      const t0 = performance.now();
      while (state.days_done <= d) {
        const day = simulateDay(params, state, kiosks, refs, state.days_done);
        if (dir !== null) {
          put(dayFile(day.day), JSON.stringify(day));
          put(stateFile(day.day), JSON.stringify(state));
        } else memory.set(day.day, day);
        out = day;
      }
      city.generated_s += (performance.now() - t0) / 1000;
      return out!;
    },
  };
  return city;
}
