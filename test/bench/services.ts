// npm run bench:services — prints one JSON object: library fines paid at the
// kiosk over SIP2 (library-payments.ts: resident machine, card station,
// FakeCardReader + DesfireSim, the real ledger on a temp file with FULL sync,
// the ESC/POS driver over the printer simulator, LibraryFineService over a
// Sip2Client to the IlsSimulator on loopback TCP):
//  - SIP2 round trips per payment, counted at the simulator by message code;
//  - p50/p95 of the whole payment, of the client's waits for the ILS, of the
//    ILS's own time (request received → answer written, at the simulator), and
//    of what the kiosk adds (whole payment less the client's SIP2 waits);
//  - against a bare Sip2Client sending the same Patron Information + Fee Paid
//    to the same simulator in the same run, with no kiosk.
// BENCH_PAYMENTS sets the number of payments (default 200).
import { runLibraryPayments } from './library-payments';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 200);

const perPayment = (count: number, of: number) => (of === 0 ? 0 : Math.round((count / of) * 100) / 100);

async function main() {
  const r = await runLibraryPayments(PAYMENTS);
  const c = r.kiosk_sip2.requests_by_code;
  const connections = r.kiosk_sip2.connections;
  const round_trips = {
    what: 'SIP2 requests the ILS simulator received during the kiosk payments, by message code (each one request and its answer)',
    by_code: c,
    connections,
    per_connection: { what: 'login (93) and SC status (99) per connection the kiosk opened', login_93: perPayment(c['93'] ?? 0, connections), status_99: perPayment(c['99'] ?? 0, connections) },
    per_payment: {
      what: 'round trips per payment, not counting the once-per-connection login',
      patron_information_63: perPayment(c['63'] ?? 0, r.payments),
      fee_paid_37: perPayment(c['37'] ?? 0, r.payments),
      all_but_login: perPayment(Object.entries(c).reduce((n, [code, k]) => (code === '93' ? n : n + k), 0), r.payments),
    },
  };
  const figures = {
    whole_payment: { what: 'tap → receipt → card back for one library-fine payment, SIP2 quote and Fee Paid included', ...r.whole_payment },
    client_sip2_wait: { what: 'per payment, the time the Sip2Client waited for answers (request written → answer read; the first payment also logs in)', ...r.client_sip2_wait },
    ils_own: { what: 'per payment, the simulator’s own time over its requests (request line received → answer written)', ...r.ils_own },
    kiosk_added: { what: 'per payment, the whole payment less the client’s SIP2 waits: what the kiosk adds on top of the ILS', ...r.kiosk_added },
  };
  const baseline_same_run = {
    what: 'a bare Sip2Client, no kiosk: Patron Information (63) then Fee Paid (37) for other patrons of the same simulator, one pair after another',
    ...r.baseline_sip2,
    quote_and_fee_paid: { what: 'the pair, wall time', ...r.baseline.quote_and_fee_paid },
    client_sip2_wait: { what: 'the pair, the client’s waits for answers', ...r.baseline.client_sip2_wait },
    ils_own: { what: 'the pair, the simulator’s own time', ...r.baseline.ils_own },
  };
  const out = { bench: 'services', node: process.version, service: 'library fines over SIP2 (koha profile, loopback TCP)', payments: r.payments, round_trips, ...figures, baseline_same_run, ils_outstanding_after_minor: r.ils_outstanding_after_minor };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:services failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
