import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sip2Client } from '../../src/library/client';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import { ILS_PROFILES } from '../../src/library/profiles';
import { LibraryFineService, PatronStore } from '../../src/kiosk/services/library-fines';
import { ServiceForwarder } from '../../src/kiosk/services/store-and-forward';
import { memoryLedger } from '../unit/ledger/helpers';
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
