import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, type SnapshotFrom } from 'xstate';
import { loadCitationsFile, loadTariffsFile } from '../../src/kiosk/config/service-config';
import type { PayableServiceKind } from '../../src/kiosk/machines/contracts';
import { CitationService, CitationStore } from '../../src/kiosk/services/citations';
import { LibraryFineService, PatronStore } from '../../src/kiosk/services/library-fines';
import { ParkingService } from '../../src/kiosk/services/parking';
import { ParkingSessionStore } from '../../src/kiosk/services/parking-sessions';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { Sip2Client } from '../../src/library/client';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import { ILS_PROFILES } from '../../src/library/profiles';
import { memoryLedger, testKey } from '../unit/ledger/helpers';
import { startTestKiosk } from '../support/resident-kiosk';

// Parking and citations through the resident kiosk on real parts (card
// simulator, card station, ledger on disk, printer driver), priced locally
// from the tariff and citation files so they sell with the network down —
// within the offline limits; library fines need the ILS (SIP2 over loopback
// TCP) to quote, and their posts catch up when it comes back.

const TARIFFS = join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json');
const CITATIONS = join(process.cwd(), 'test/fixtures/citations/downtown.json');
const WED_10 = new Date('2025-07-09T15:00:00Z'); // Wednesday 10:00 in Chicago: metered
const stop: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stop.splice(0).reverse()) await s();
});

function localServices(dir: string) {
  const sessions = ParkingSessionStore.open(join(dir, 'parking-sessions.json'));
  const parking = new ParkingService({ tariffs: loadTariffsFile(TARIFFS, 'USD'), sessions, plate_key: Buffer.alloc(32, 7), now: () => WED_10 });
  const citations = new CitationService({ book: loadCitationsFile(CITATIONS, 'USD'), store: CitationStore.open(join(dir, 'citations-paid.json')) });
  return { sessions, parking, citations };
}

/** Select (choosing `option` when offered a choice), confirm, and wait for where it ends: paid, or the notice it was refused with. */
async function attempt(k: Awaited<ReturnType<typeof startTestKiosk>>, kind: PayableServiceKind, reference: string, option?: string) {
  const { actor, reader, sim } = k;
  reader.insertCard(sim);
  await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
  actor.send({ type: 'CONTINUE' });
  actor.send({ type: 'SELECT_SERVICE', kind, reference });
  const asked = (x: SnapshotFrom<typeof actor>) => x.matches({ session: 'confirming' }) || x.matches({ session: 'quoteRefused' }) || x.matches({ session: 'choosing' });
  if ((await waitFor(actor, asked, { timeout: 10_000 })).matches({ session: 'choosing' })) {
    if (option === undefined) throw new Error('the service asks to choose and the test chose nothing');
    actor.send({ type: 'CHOOSE', option_ids: [option] });
  }
  const s = await waitFor(actor, (x) => x.matches({ session: 'confirming' }) || x.matches({ session: 'quoteRefused' }), { timeout: 10_000 });
  if (s.matches({ session: 'confirming' })) {
    actor.send({ type: 'CONFIRM' });
    await waitFor(actor, (x) => x.matches({ payment: 'done' }) || x.matches({ payment: 'noReceipt' }) || x.matches({ session: 'refused' }) || x.matches({ session: 'insufficientFunds' }), { timeout: 10_000 });
  }
  const end = actor.getSnapshot();
  const outcome = { paid: end.matches({ payment: 'done' }) || end.matches({ payment: 'noReceipt' }), notice: end.context.notice?.key ?? null, tx_id: end.context.payment?.tx.tx_id ?? null, quote: end.context.quote };
  actor.send({ type: end.matches('payment') ? 'FINISH' : 'CANCEL' });
  reader.removeCard();
  await waitFor(actor, (x) => x.matches('idle'), { timeout: 5_000 });
  return outcome;
}

describe('parking and citations at the kiosk', () => {
  it('parking paid by plate: the ledger on disk carries the opaque session id and never the plate, which waits apart (0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-parking-kiosk-'));
    const ledger_path = join(dir, 'kiosk.db');
    const ledger = RuntimeLedger.open(ledger_path, testKey());
    stop.push(() => ledger.close());
    const { parking, sessions } = localServices(dir);
    const k = await startTestKiosk({ ledger, services: [parking], opening_minor: 2_000 });
    stop.push(() => void k.actor.stop());

    const paid = await attempt(k, 'parking', 'plate:101/ABC-123', 'm60');
    expect(paid).toMatchObject({ paid: true, quote: { amount_minor: 300, quote_ref: expect.stringMatching(/^pk:/) } });
    expect(ledger.txBalance(paid.tx_id!)).toMatchObject({ state: 'committed', service_post: 'accepted' });
    const bytes = Buffer.concat([ledger_path, `${ledger_path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
    expect(bytes.includes(Buffer.from(paid.quote!.quote_ref))).toBe(true);
    for (const plate of ['ABC123', 'ABC-123']) expect(bytes.includes(Buffer.from(plate))).toBe(false);
    expect(readFileSync(join(dir, 'parking-sessions.json'), 'utf8')).toContain('ABC123');
    expect(statSync(join(dir, 'parking-sessions.json')).mode & 0o777).toBe(0o600);
    expect(sessions.get(paid.quote!.quote_ref)).toMatchObject({ state: 'paid', tx_id: paid.tx_id });
  });

  it('with the network down parking and citations still sell from their files, within the offline limit per payment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-offline-kiosk-'));
    const { parking, citations } = localServices(dir);
    const ledger = memoryLedger();
    const k = await startTestKiosk({ ledger, services: [parking, citations], opening_minor: 20_000, online: () => false });
    stop.push(() => void k.actor.stop());

    expect(await attempt(k, 'parking', 'space:101/12', 'm30')).toMatchObject({ paid: true, quote: { amount_minor: 150 } });
    expect(await attempt(k, 'citation', '4000123002')).toMatchObject({ paid: true, quote: { amount_minor: 4_500, receipt_lines: [{ key: 'citation.number', value: '4000123002' }] } });
    // $75.00 is above the $50.00 a kiosk may take while offline: refused before the card is touched.
    expect(await attempt(k, 'citation', '4000123036')).toMatchObject({ paid: false, notice: 'risk.offline_tx_limit', tx_id: null });
    expect(await attempt(k, 'citation', '4000123002')).toMatchObject({ paid: false, notice: 'quote.already_paid' });
    expect(await attempt(k, 'citation', '4000123003')).toMatchObject({ paid: false, notice: 'quote.not_found' }); // bad check digit
    expect(ledger.entriesSince(0).filter((e) => e.payload.kind === 'committed')).toHaveLength(2);
  });

  it('library fines need the ILS to quote (service unavailable when it is down); a post the ILS missed is sent again while the kiosk runs, once, with the same BK', async () => {
    const ils = new IlsSimulator({ data: loadIlsData(join(process.cwd(), 'test/fixtures/ils/library.json')), profile: 'koha' });
    const { port } = await ils.start(0, '127.0.0.1');
    stop.push(() => ils.stop());
    const client = new Sip2Client({ host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: ILS_PROFILES.koha, currency: 'USD', login: { user_id: 'kiosk', password: 'kiosk-pass' }, timeout_ms: 500 });
    stop.push(() => client.close());
    const dir = mkdtempSync(join(tmpdir(), 'civicard-ils-kiosk-'));
    const library = new LibraryFineService({ client, patrons: PatronStore.open(join(dir, 'patrons-pending.json')), currency: 'USD' });
    const ledger = memoryLedger();
    const k = await startTestKiosk({ ledger, services: [library, localServices(dir).parking], opening_minor: 2_000, service_retry_ms: 200 });
    stop.push(() => void k.actor.stop());

    await ils.stop();
    expect(await attempt(k, 'library_fine', '29000000000001')).toMatchObject({ paid: false, notice: 'quote.service_unavailable', tx_id: null });
    expect(await attempt(k, 'parking', 'plate:101/XYZ999', 'm15')).toMatchObject({ paid: true }); // parking does not need the network

    // The ILS answers the quote, then goes away before the debit: the resident is served, the post waits.
    await ils.start();
    const quote = library.quote.bind(library);
    library.quote = async (input) => {
      const q = await quote(input);
      await ils.stop();
      return q;
    };
    const paid = await attempt(k, 'library_fine', '29000000000001');
    expect(paid).toMatchObject({ paid: true, quote: { amount_minor: 525 } });
    expect(ledger.txBalance(paid.tx_id!)).toMatchObject({ service_post: 'posted' });
    expect(ils.feePaidRecords()).toEqual([]);

    await ils.start(); // the network is back: the kiosk's own retry tells the ILS
    await expect.poll(() => ledger.txBalance(paid.tx_id!)?.service_post, { timeout: 5_000 }).toBe('accepted');
    await new Promise((r) => setTimeout(r, 500)); // a few more retry rounds: nothing is posted twice
    expect(ils.feePaidRecords()).toEqual([expect.objectContaining({ transaction_id: paid.tx_id, accepted: true, amount_minor: 525 })]);
    expect(ils.outstandingMinor('29000000000001')).toBe(0);
  });
});
