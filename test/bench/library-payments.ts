// Library fines paid at the kiosk over SIP2, for bench:services and its smoke
// test: the resident machine, card station, FakeCardReader + DesfireSim, the
// real SQLite ledger on a temp file (WAL, synchronous=FULL), the ESC/POS
// driver over the printer simulator, and LibraryFineService over a Sip2Client
// to the IlsSimulator on 127.0.0.1 (loopback TCP), as in
// test/integration/library-kiosk.test.ts. Each SIP2 request is timed twice:
// at the simulator (a request line received → its answer written) and at the
// client (request written → its answer read). Nothing in src/ is changed: the
// two private methods that see one request each are wrapped here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { Sip2Client } from '../../src/library/client';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import { ILS_PROFILES } from '../../src/library/profiles';
import { residentVisit, type CardHand } from '../../src/kiosk/demo/resident-visit';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { startResidentKiosk } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import { LibraryFineService, PatronStore } from '../../src/kiosk/services/library-fines';
import { FilePrintJournal } from '../../src/kiosk/receipt';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { newTxId } from '../../src/shared/ids';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { generateTestKeyset } from '../../src/card/keys/keyset-file';
import type { DesfireSim } from '../../hardware/sim/desfire';
import { issuedSimCard, vaultFor } from '../support/card-fixtures';

/** Each generated patron owes this (3.50 + 1.75), paid whole at the kiosk. */
export const FINE_MINOR = 525;
const CARD_OPENING_MINOR = 50_000;
const LOGIN = { user_id: 'kiosk', password: 'kiosk-pass' };

export interface Percentiles {
  n: number;
  p50_ms: number;
  p95_ms: number;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? 0 : Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100);
  return { n: s.length, p50_ms: at(50), p95_ms: at(95) };
}

/** SIP2 requests the simulator received, by message code, and the time it took over them. */
class SimulatorMeter {
  private by_code = new Map<string, number>();
  private connections = 0;
  private ms = 0;

  /** Wraps the simulator's handling of one request line: it answers synchronously, so the call spans receive → answer written. */
  constructor(ils: IlsSimulator) {
    const target = ils as unknown as { onLine?: (socket: unknown, session: unknown, line: Buffer) => void; serve?: (socket: unknown) => void };
    const original = target.onLine;
    const serve = target.serve;
    if (typeof original !== 'function' || typeof serve !== 'function') throw new Error('IlsSimulator no longer serves a connection in serve and a line in onLine: update test/bench/library-payments.ts');
    target.serve = (socket) => {
      this.connections++;
      serve.call(ils, socket);
    };
    target.onLine = (socket, session, line) => {
      const code = line.subarray(0, 2).toString('latin1');
      this.by_code.set(code, (this.by_code.get(code) ?? 0) + 1);
      const t0 = performance.now();
      try {
        original.call(ils, socket, session, line);
      } finally {
        this.ms += performance.now() - t0;
      }
    };
  }

  /** Time spent answering since the last lap. */
  lap(): number {
    const ms = this.ms;
    this.ms = 0;
    return ms;
  }

  /** Connections accepted and requests by code since the last call. */
  takeCounts(): Sip2Counts {
    const counts = { connections: this.connections, requests_by_code: Object.fromEntries([...this.by_code].sort()) };
    this.by_code = new Map();
    this.connections = 0;
    return counts;
  }
}

/** The time a client waited for the ILS's answers. */
class ClientMeter {
  private ms = 0;

  /** Wraps the client's one request-and-answer step (the SC login included). */
  constructor(client: Sip2Client) {
    const target = client as unknown as { exchange?: (...args: unknown[]) => Promise<unknown> };
    const original = target.exchange;
    if (typeof original !== 'function') throw new Error('Sip2Client no longer exchanges one request in exchange: update test/bench/library-payments.ts');
    target.exchange = async (...args) => {
      const t0 = performance.now();
      try {
        return await original.apply(client, args);
      } finally {
        this.ms += performance.now() - t0;
      }
    };
  }

  lap(): number {
    const ms = this.ms;
    this.ms = 0;
    return ms;
  }
}

/** A data file with `count` patrons owing FINE_MINOR each. */
function writeIlsData(dir: string, count: number): string {
  const patrons = Array.from({ length: count }, (_, i) => ({
    id: patronId(i),
    name: `Bench Patron ${i}`,
    fines: [
      { id: `${i}-1`, amount_minor: 350, type: 'Overdue', description: 'Overdue fine' },
      { id: `${i}-2`, amount_minor: 175, type: 'Lost', description: 'Lost card replacement' },
    ],
  }));
  const path = join(dir, 'library.json');
  writeFileSync(path, JSON.stringify({ institution_id: 'CIVICLIB', currency: 'USD', logins: [LOGIN], patrons }));
  return path;
}

function patronId(i: number): string {
  return `29100${String(i).padStart(9, '0')}`;
}

function sip2Client(port: number): Sip2Client {
  return new Sip2Client({ host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: ILS_PROFILES.koha, currency: 'USD', login: LOGIN, timeout_ms: 2_000 });
}

export interface Sip2Counts {
  connections: number;
  requests_by_code: Record<string, number>;
}

export interface LibraryPaymentsResult {
  payments: number;
  /** What the simulator saw during the kiosk's payments. */
  kiosk_sip2: Sip2Counts;
  /** The same for the bare client's loop. */
  baseline_sip2: Sip2Counts;
  whole_payment: Percentiles;
  client_sip2_wait: Percentiles;
  ils_own: Percentiles;
  kiosk_added: Percentiles;
  baseline: { quote_and_fee_paid: Percentiles; client_sip2_wait: Percentiles; ils_own: Percentiles };
  ils_outstanding_after_minor: number;
}

/** `payments` library-fine payments through the kiosk, then the same SIP2 requests from a bare client, against one simulator. */
export async function runLibraryPayments(payments: number): Promise<LibraryPaymentsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-bench-services-'));
  const ils = new IlsSimulator({ data: loadIlsData(writeIlsData(dir, payments * 2)), profile: 'koha' });
  const { port } = await ils.start(0, '127.0.0.1');
  const atIls = new SimulatorMeter(ils);

  const keys = generateTestKeyset().keys;
  const sims: DesfireSim[] = [];
  const cards = Math.max(1, Math.ceil((payments * FINE_MINOR) / (CARD_OPENING_MINOR - FINE_MINOR)));
  for (let i = 0; i < cards; i++) sims.push((await issuedSimCard(CARD_OPENING_MINOR, keys)).sim);
  const reader = new FakeCardReader();
  const ledger = RuntimeLedger.open(join(dir, 'ledger.db'), loadOrCreateKioskKey(join(dir, 'key.pem')));
  const station = new CardStation({ reader, vault: vaultFor(keys, ['debit', 'read']), terminal_id: 4, card_ref_key: Buffer.alloc(32, 8), ledger });
  const printerSim = new SimPrinterTransport();
  const printer = new EscPosPrinter(printerSim, { journal: FilePrintJournal.open(join(dir, 'print-journal.json')) });
  const client = sip2Client(port);
  const atClient = new ClientMeter(client);
  const library = new LibraryFineService({ client, patrons: PatronStore.open(join(dir, 'patrons-pending.json')), currency: 'USD' });
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer,
    services: [library],
    risk: { policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: 10_000_000 }, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-BENCH', location_label: 'Central Library', time_zone: 'UTC', country: 'US', currency: 'USD' },
    language: () => 'en',
  });
  const whole: number[] = [];
  const clientWait: number[] = [];
  const ilsOwn: number[] = [];
  const added: number[] = [];
  const base = { pair: [] as number[], client: [] as number[], ils: [] as number[] };
  const baseClient = sip2Client(port);
  const atBaseClient = new ClientMeter(baseClient);
  let kiosk_sip2: Sip2Counts | null = null;
  let baseline_sip2: Sip2Counts | null = null;
  try {
    await waitFor(actor, (s) => s.matches('idle'));
    let sim = sims[0]!;
    const hand: CardHand = { present: async () => reader.insertCard(sim), withdraw: async () => reader.removeCard(), isPresent: () => reader.status().status === 'card_present' };
    atIls.lap();
    atIls.takeCounts();
    atClient.lap();
    for (let n = 0; n < payments; n++) {
      sim = sims[n % sims.length]!;
      const t0 = performance.now();
      const visit = await residentVisit(actor, hand, { kind: 'library_fine', reference: patronId(n) });
      const ms = performance.now() - t0;
      if (!visit.paid) throw new Error(`library payment ${n} was not paid: ${visit.notices.join(', ')}`);
      const client_ms = atClient.lap();
      whole.push(ms);
      clientWait.push(client_ms);
      ilsOwn.push(atIls.lap());
      added.push(ms - client_ms);
      reader.clearRecording();
      printerSim.core.forgetReceipts();
      printerSim.clearRecording();
    }

    kiosk_sip2 = atIls.takeCounts();

    // Baseline: the same two requests per patron from a bare client, no kiosk.
    for (let n = payments; n < payments * 2; n++) {
      const t0 = performance.now();
      const found = await baseClient.patronFines(patronId(n));
      if (found.status !== 'found') throw new Error(`baseline patron ${n}: ${found.status}`);
      const paid = await baseClient.feePaid({ patron_id: patronId(n), amount_minor: found.fines.total_minor, currency: 'USD', transaction_id: newTxId() });
      if (paid.status !== 'accepted') throw new Error(`baseline Fee Paid ${n}: ${paid.status}`);
      base.pair.push(performance.now() - t0);
      base.client.push(atBaseClient.lap());
      base.ils.push(atIls.lap());
    }
    baseline_sip2 = atIls.takeCounts();
  } finally {
    actor.stop();
    client.close();
    baseClient.close();
    await reader.close();
    ledger.close();
    await ils.stop();
  }
  let outstanding = 0;
  for (let i = 0; i < payments * 2; i++) outstanding += ils.outstandingMinor(patronId(i));
  return {
    payments,
    kiosk_sip2: kiosk_sip2!,
    baseline_sip2: baseline_sip2!,
    whole_payment: percentiles(whole),
    client_sip2_wait: percentiles(clientWait),
    ils_own: percentiles(ilsOwn),
    kiosk_added: percentiles(added),
    baseline: { quote_and_fee_paid: percentiles(base.pair), client_sip2_wait: percentiles(base.client), ils_own: percentiles(base.ils) },
    ils_outstanding_after_minor: outstanding,
  };
}
