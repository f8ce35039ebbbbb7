import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { viewOf } from '../../src/kiosk/api/view';
import { Sip2Client } from '../../src/library/client';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import { ILS_PROFILES } from '../../src/library/profiles';
import { LibraryFineService, PatronStore } from '../../src/kiosk/services/library-fines';
import { ServiceForwarder } from '../../src/kiosk/services/store-and-forward';
import { fileLedger, memoryLedger } from '../unit/ledger/helpers';
import { startTestKiosk } from '../support/resident-kiosk';

// A resident pays their library fines at the kiosk: the ILS simulator speaks
// SIP2 over loopback TCP, the card is debited, the ILS is told with Fee Paid
// (BK = our transaction id) through the ledger's store and forward, and the
// library card number stays out of the ledger.

const DATA = join(process.cwd(), 'test/fixtures/ils/library.json');
const PATRON = '29000000000001'; // 3.50 + 1.75 in fines
const stop: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stop.splice(0).reverse()) await s();
});

async function setup() {
  const ils = new IlsSimulator({ data: loadIlsData(DATA), profile: 'koha' });
  const { port } = await ils.start(0, '127.0.0.1');
  stop.push(() => ils.stop());
  const client = new Sip2Client({ host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: ILS_PROFILES.koha, currency: 'USD', login: { user_id: 'kiosk', password: 'kiosk-pass' }, timeout_ms: 500 });
  stop.push(() => client.close());
  const dir = mkdtempSync(join(tmpdir(), 'civicard-library-'));
  const patrons = PatronStore.open(join(dir, 'patrons-pending.json'));
  const library = new LibraryFineService({ client, patrons, currency: 'USD' });
  const ledger = memoryLedger();
  const kiosk = await startTestKiosk({ ledger, services: [library], opening_minor: 2_000, language: 'es' });
  stop.push(() => void kiosk.actor.stop());
  const pay = async () => {
    const { tx_id, quote } = await kiosk.pay(PATRON);
    return { tx_id, quoted: quote };
  };
  return { ils, ledger, patrons, library, dir, pay };
}

describe('library fines paid at the kiosk over SIP2', () => {
  it('quotes the patron’s total from the ILS, debits the card, posts Fee Paid with our tx id, and keeps the library card number out of the ledger', async () => {
    const env = await setup();
    const { tx_id, quoted } = await env.pay();
    expect(quoted.amount_minor).toBe(525);
    expect(env.ils.feePaidRecords()).toEqual([expect.objectContaining({ transaction_id: tx_id, accepted: true, amount_minor: 525 })]);
    expect(env.ils.outstandingMinor(PATRON)).toBe(0);
    expect(env.ledger.txBalance(tx_id)).toMatchObject({ state: 'committed', service_post: 'accepted' });
    const ledgerText = JSON.stringify(env.ledger.entriesSince(0));
    expect(ledgerText).not.toContain(PATRON);
    expect(env.patrons.size).toBe(0); // answered: the card number is gone from the side store too
    expect(readFileSync(join(env.dir, 'patrons-pending.json'), 'utf8')).not.toContain(PATRON);
  });

  it('the ILS down when the fine is paid: the post waits (the card number kept apart, 0600) and goes out once, with the same BK, when the ILS is back', async () => {
    const env = await setup();
    await env.ils.stop(); // after the quote there is no ILS: the post cannot be heard
    const original = env.library.quote.bind(env.library);
    // Quote while the ILS was up: restart it only for the quote.
    env.library.quote = async (input) => {
      await env.ils.start();
      const q = await original(input);
      await env.ils.stop();
      return q;
    };
    const { tx_id } = await env.pay();
    expect(env.ledger.txBalance(tx_id)).toMatchObject({ state: 'committed', service_post: 'posted' });
    expect(env.patrons.size).toBe(1);
    expect(statSync(join(env.dir, 'patrons-pending.json')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(env.ledger.entriesSince(0))).not.toContain(PATRON);

    await env.ils.start();
    const forwarder = new ServiceForwarder(env.ledger, [env.library]);
    expect(await forwarder.postUnanswered()).toEqual({ accepted: 1, refused: 0, unanswered: 0 });
    expect(await forwarder.postUnanswered()).toEqual({ accepted: 0, refused: 0, unanswered: 0 });
    expect(env.ils.feePaidRecords()).toEqual([expect.objectContaining({ transaction_id: tx_id, accepted: true })]);
    expect(env.patrons.size).toBe(0);
  });
});

// Issue 8 point 4, the whole flow: card → library card number → PIN (the ILS
// asks) → fines listed → one paid, then the rest → ILS updated → receipt.
const PATRON4 = '29000000000004'; // PIN Zq7w; fines 4101 (4.00), 4102 (2.50), 4103 (1.25)
const PERSONAL = [PATRON4, 'Sample Patron Four', '4 Sample Street', 'Zq7w'];

async function choosingSetup() {
  const ils = new IlsSimulator({ data: loadIlsData(DATA), profile: 'evergreen-3m', require_pin: true });
  const { port } = await ils.start(0, '127.0.0.1');
  stop.push(() => ils.stop());
  const client = new Sip2Client({ host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: ILS_PROFILES['evergreen-3m'], currency: 'USD', login: { user_id: 'kiosk', password: 'kiosk-pass' }, timeout_ms: 500 });
  stop.push(() => client.close());
  const dir = mkdtempSync(join(tmpdir(), 'civicard-library-'));
  const storePath = join(dir, 'patrons-pending.json');
  const library = new LibraryFineService({ client, patrons: PatronStore.open(storePath), currency: 'USD' });
  const { ledger, dir: ledgerDir } = fileLedger();
  const kiosk = await startTestKiosk({ ledger, services: [library], opening_minor: 2_000, language: 'es' });
  stop.push(() => void kiosk.actor.stop());
  return { ils, client, library, ledger, ledgerDir, dir, storePath, kiosk };
}

/** Everything the kiosk said on stdout, stderr and the console while `run` ran. */
async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true)),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void chunks.push(a.map(String).join(' ')))),
  ];
  try {
    return { result: await run(), output: chunks.join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

const bytesOf = (dir: string): string => readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');

describe('library fines at the kiosk: PIN, choose, pay one then the rest', () => {
  it('pays one of three fines, then the other two; the ILS, the ledger and the receipts agree, and nothing personal is kept', async () => {
    const env = await choosingSetup();
    const seen: { screen_params?: unknown; texts?: unknown[] } = {};

    const { result, output } = await captureOutput(async () => {
      const first = await env.kiosk.pay(PATRON4, {
        pin: 'Zq7w',
        choose: (options) => {
          const view = viewOf(env.kiosk.actor.getSnapshot(), 'es');
          seen.screen_params = view.quote?.screen_params;
          seen.texts = view.quote?.options?.map((o) => o.label_params.text);
          return [options[1]!.id]; // the damaged item only
        },
      });
      const rest = await env.kiosk.pay(PATRON4, { pin: 'Zq7w' }); // the two left, preselected
      return { first, rest };
    });

    // The screen showed the patron's name and the fines while choosing, and only then.
    expect(seen.screen_params).toEqual({ patron_name: 'Sample Patron Four' });
    expect(seen.texts).toEqual(['FINE Dune', 'FEE Damaged item', 'LOST Lost card replacement']);
    expect(viewOf(env.kiosk.actor.getSnapshot(), 'es').quote).toBeNull();

    // The ILS: one Fee Paid for the first payment, one per fee for the second, BK from our tx ids.
    const { first, rest } = result;
    expect(first.quote.amount_minor).toBe(250);
    expect(rest.quote.amount_minor).toBe(525);
    expect(env.ils.feePaidRecords().map((r) => [r.transaction_id, r.fee_id, r.amount_minor, r.accepted])).toEqual([
      [first.tx_id, '4102', 250, true],
      [`${rest.tx_id}/1`, '4101', 400, true],
      [`${rest.tx_id}/2`, '4103', 125, true],
    ]);
    expect(env.ils.outstandingMinor(PATRON4)).toBe(0);

    // The ledger: two payments, committed and told to the ILS.
    expect(env.ledger.txBalance(first.tx_id)).toMatchObject({ state: 'committed', service_post: 'accepted' });
    expect(env.ledger.txBalance(rest.tx_id)).toMatchObject({ state: 'committed', service_post: 'accepted' });

    // The receipts: the amount and how many fines each paid.
    const receipts = env.kiosk.printer.receipts.map((r) => r.lines.map((l) => l.replace(/ +/g, ' ').trim()));
    expect(receipts).toHaveLength(2);
    expect(receipts[0]).toEqual(expect.arrayContaining(['Importe $2.50', 'Multas pagadas 1']));
    expect(receipts[1]).toEqual(expect.arrayContaining(['Importe $5.25', 'Multas pagadas 2']));

    // Nothing personal anywhere it stays: ledger files, the side store, the printer's bytes, what was logged.
    const kept = [bytesOf(env.ledgerDir), bytesOf(env.dir), Buffer.from(env.kiosk.printer.recording).toString('latin1'), receipts.flat().join('\n'), output];
    expect(kept[0]).toContain(rest.tx_id); // the bytes searched are the ones that hold the payments
    for (const where of kept) for (const s of PERSONAL) expect(where).not.toContain(s);
    expect(PatronStore.open(env.storePath).size).toBe(0);
  });

  it('the ILS down when several fines are paid: the posts wait and go out after a restart, each fee once, with the same BKs', async () => {
    const env = await choosingSetup();
    const original = env.library.quote.bind(env.library);
    await env.ils.stop();
    env.library.quote = async (input) => {
      await env.ils.start();
      const q = await original(input);
      await env.ils.stop();
      return q;
    };
    const { tx_id, quote } = await env.kiosk.pay(PATRON4, { pin: 'Zq7w', choose: (options) => [options[0]!.id, options[2]!.id] });
    expect(quote.amount_minor).toBe(525);
    expect(env.ledger.txBalance(tx_id)).toMatchObject({ state: 'committed', service_post: 'posted' });
    expect(statSync(env.storePath).mode & 0o777).toBe(0o600);

    // A restart: a new service reads the side store back from its file.
    await env.ils.start();
    const restarted = new LibraryFineService({ client: env.client, patrons: PatronStore.open(env.storePath), currency: 'USD' });
    const forwarder = new ServiceForwarder(env.ledger, [restarted]);
    expect(await forwarder.postUnanswered()).toEqual({ accepted: 1, refused: 0, unanswered: 0 });
    expect(await forwarder.postUnanswered()).toEqual({ accepted: 0, refused: 0, unanswered: 0 });
    expect(env.ils.feePaidRecords().map((r) => [r.transaction_id, r.fee_id])).toEqual([
      [`${tx_id}/1`, '4101'],
      [`${tx_id}/2`, '4103'],
    ]);
    expect(env.ils.outstandingMinor(PATRON4)).toBe(250);
    expect(PatronStore.open(env.storePath).size).toBe(0);
  });

  it('one fee taken and the next refused: nothing is paid back blind, the resident is sent to staff', async () => {
    const env = await choosingSetup();
    env.ils.refuseFee('4103');
    const { tx_id } = await env.kiosk.pay(PATRON4, { pin: 'Zq7w' });
    expect(env.ils.outstandingMinor(PATRON4)).toBe(125); // 4101 and 4102 taken before the refusal
    expect(env.ledger.txBalance(tx_id)).toMatchObject({ state: 'committed', service_post: 'refused' });
    const receipt = env.kiosk.printer.receipts.at(-1)!.lines.join('\n');
    expect(receipt).toContain('Servicio no realizado');
    expect(receipt).toContain('Pida ayuda al personal con este recibo.');
    expect(receipt).not.toContain('Multas pagadas');
  });
});
