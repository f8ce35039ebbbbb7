import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import type { SoftwareKeyVault } from '../../card/keys/keyvault';
import { Purse } from '../../card/purse';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../card/keys/keyset-file';
import { runBuiltInSelftest } from '../../card/selftest';
import { RuntimeLedger } from '../runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../ledger';
import type { Language } from '../../shared/kiosk-api';
import { openCardReader } from '../../../hardware/pcsc';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { startPcscd, type PcscdHandle } from '../../../hardware/pcsc/pcscd-process';
import type { CardReader } from '../../../hardware/pcsc/types';
import { openPrinter, type EscPosPrinter } from '../../../hardware/printer';
import { blankCardState, DesfireSim, loadCardState, saveCardStateAtomic } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { startPrinterSim, type PrinterSim } from '../../../hardware/sim/printer';
import { KIOSK_CONFIG_FILE, loadOrCreateKioskConfig } from '../config/kiosk-config';
import { FilePrintJournal } from '../receipt';
import { CardStation, cardRefOf } from '../runtime/card-station';
import { openKioskDownlink, type DownlinkStore } from '../runtime/downlink-store';
import { startDownlinkPolling } from '../../downlink';
import { kioskIdOf } from '../../backoffice/auth/request-signing';
import { plateKeyId } from '../../shared/plates';
import { issueRecorded } from '../runtime/issuing-desk';
import { startResidentKiosk, type ResidentKiosk } from '../runtime/resident-kiosk';
import type { StaffRoster } from '../runtime/staff';
import { DEFAULT_RISK_POLICY, type RiskPolicy } from '../runtime/risk';
import type { SyncStatus } from '../../sync/background';
import { Sip2Client } from '../../library/client';
import { ILS_PROFILES } from '../../library/profiles';
import type { KioskServiceConfig } from '../config/service-config';
import { CitationService, CitationStore } from '../services/citations';
import { LibraryFineService, PatronStore } from '../services/library-fines';
import { ParkingService } from '../services/parking';
import { ParkingSessionStore } from '../services/parking-sessions';
import type { KioskService } from '../services/types';
import { inMemoryCounter, vpcdCounter, type CardCounter } from './card-hands';
import { simServiceFiles, startSimServices, type SimServices } from './sim-services';

// A complete resident kiosk on simulated devices, in one directory: test
// keyset, kiosk config (card-reference key), kiosk key and ledger, virtual
// cards (through pcscd + vpcd when it can be started), a virtual ESC/POS
// printer on a socat pty, and the services it sells (by default the bundled
// simulators, sim-services.ts). Used by `civicard demo`, `civicard kiosk
// --sim`, `civicard start` and the Electron core with simulated devices.
// Started again on the same directory it carries on with all of them.

export interface SimKiosk {
  readonly actor: ResidentKiosk;
  readonly ledger: RuntimeLedger;
  readonly ledger_path: string;
  readonly printer: EscPosPrinter;
  readonly printerSim: PrinterSim;
  readonly journal: FilePrintJournal;
  readonly counter: CardCounter;
  readonly selftest_passed: number;
  readonly dir: string;
  readonly keys_path: string;
  readonly card_ref_key: Buffer;
  /** True when cards go through pcscd + vpcd (the second vpcd reader is free for an attendant station). */
  readonly through_pcscd: boolean;
  /** Bundle and hotlist from the back office; null when the config names no back-office key. */
  readonly downlink: DownlinkStore | null;
  /** The parking sessions sold (null when parking is not configured). */
  readonly parking_sessions: ParkingSessionStore | null;
  /** What the kiosk sells: the configured services, or the bundled simulators and their files. */
  readonly services_label: string;
  /** The offline risk limits in force. */
  readonly risk_policy: RiskPolicy;
  /** The background sync's last word; null when the kiosk does not sync. */
  syncStatus(): SyncStatus | null;
  /**
   * The staff roster whose cards open the maintenance screen at this kiosk:
   * the booth's, set when it starts beside the kiosk (sim-attendant.ts); null, no staff card is known.
   */
  staff_roster: Pick<StaffRoster, 'byCardRef'> | null;
  language: Language;
  /**
   * The issuing desk: a new simulated card with an opening balance, its state
   * kept in DIR/cards. A label issued before (in this run or an earlier one)
   * gets that same card back, balance as it is, never a replacement.
   */
  issueCard(label: string, opening_minor: number): Promise<{ card: DesfireSim; masked_serial: string; card_ref: string }>;
  stop(): Promise<void>;
}

export interface SimKioskOptions {
  dir: string;
  pcscd: boolean;
  onNote?: (line: string) => void;
  /**
   * The services the kiosk sells: the ILS over SIP2, parking from a tariff
   * file, citations from a citations file; a kind without one is not sold.
   * Absent altogether: the bundled simulators (sim-services.ts), started
   * with the kiosk and stopped with it.
   */
  services?: KioskServiceConfig;
  /** Where the bundled simulators' data files are (default: the repository's test/fixtures). */
  fixtures_dir?: string;
  /** The clock parking sells by (the demo's story clock); the wall clock by default. */
  now?: () => Date;
  /** How often unanswered service posts are sent again (default one minute). */
  service_retry_ms?: number;
  /** Upload the ledger to this back office in the background (and parking sessions, paid citations after it). */
  sync?: { serverUrl: string };
  /** The city's plate key (`--plate-key FILE`), taken into the kiosk config at first start; without it a new directory gets a key of its own. */
  plate_key?: Buffer;
}

const KIOSK_CURRENCY = 'USD';
/** How often a kiosk asks the back office for a newer bundle and the hotlist since its version. */
const DOWNLINK_POLL_MS = 5 * 60_000;

/** The kiosk's services as configured, in DIR: each keeps what it must keep apart from the ledger in a 0600 file there. */
function servicesFor(
  dir: string,
  config: KioskServiceConfig,
  plate_key: Buffer,
  now: () => Date,
  downlink: DownlinkStore | null = null,
): { services: KioskService[]; close: () => void; parking_sessions: ParkingSessionStore | null; citations_paid: CitationStore | null } {
  const services: KioskService[] = [];
  let client: Sip2Client | null = null;
  if (config.library) {
    const { host, port, institution_id, profile, login } = config.library;
    client = new Sip2Client({ host, port, institution_id, profile: ILS_PROFILES[profile], currency: KIOSK_CURRENCY, ...(login ? { login } : {}), timeout_ms: 5_000 });
    services.push(new LibraryFineService({ client, patrons: PatronStore.open(join(dir, 'patrons-pending.json')), currency: KIOSK_CURRENCY }));
  }
  let parking_sessions: ParkingSessionStore | null = null;
  if (config.tariffs) {
    parking_sessions = ParkingSessionStore.open(join(dir, 'parking-sessions.json'));
    const fileTariffs = config.tariffs;
    services.push(
      new ParkingService({
        // Read at every quote: tariffs from a newer downlink bundle price the next stay, no restart.
        get tariffs() {
          return downlink?.tariffs() ?? fileTariffs;
        },
        sessions: parking_sessions,
        plate_key,
        now,
      }),
    );
  }
  const citations_paid = config.citations ? CitationStore.open(join(dir, 'citations-paid.json')) : null;
  if (config.citations && citations_paid) services.push(new CitationService({ book: config.citations, store: citations_paid, now }));
  return { services, close: () => client?.close(), parking_sessions, citations_paid };
}

export async function startSimKiosk(opts: SimKioskOptions): Promise<SimKiosk> {
  const { dir } = opts;
  mkdirSync(join(dir, 'cards'), { recursive: true });
  const selftest = runBuiltInSelftest();
  if (!selftest.ok) throw new Error('card-crypto self-test failed: this machine must not move money');

  const keysPath = join(dir, 'test-keys.json');
  if (!existsSync(keysPath)) writeKeysetFile(keysPath, generateTestKeyset());
  const issuerVault = loadKeyVault(keysPath, { simulated: true });
  const ledger_path = join(dir, 'kiosk.db');
  const configPath = join(dir, KIOSK_CONFIG_FILE);
  if (existsSync(ledger_path) && !existsSync(configPath)) {
    throw new Error(`${dir} holds a ledger but no ${KIOSK_CONFIG_FILE}: a new card-reference key would make its cards strangers to their own entries; start the kiosk in a new directory`);
  }
  const config = loadOrCreateKioskConfig(configPath, { kiosk_id: 'K-EASTBRANCH-1', terminal_id: 101 }, opts.plate_key === undefined ? {} : { plate_key: opts.plate_key });

  // Read and checked before any device starts: a bad fixture starts nothing.
  const bundled: SimServices | null = opts.services === undefined ? await startSimServices(simServiceFiles(opts.fixtures_dir), KIOSK_CURRENCY) : null;

  let pcscd: PcscdHandle | null = null;
  if (opts.pcscd) {
    try {
      pcscd = await startPcscd();
    } catch (err) {
      opts.onNote?.(`pcscd could not start (${err instanceof Error ? err.message : String(err)}); using an in-memory reader`);
    }
  }
  let reader: CardReader;
  let counter: CardCounter;
  if (pcscd) {
    reader = openCardReader({ readerName: 'Virtual PCD 00 00' });
    counter = vpcdCounter();
  } else {
    const fake = new FakeCardReader();
    reader = fake;
    counter = inMemoryCounter(fake);
  }
  const printerSim = await startPrinterSim({ outDir: join(dir, 'receipts') });
  const journal = FilePrintJournal.open(join(dir, 'print-journal.json'));
  const printer = await openPrinter(printerSim.path, { journal });
  const kioskKey = loadOrCreateKioskKey(join(dir, 'kiosk-key.pem'));
  const ledger = RuntimeLedger.open(ledger_path, kioskKey);
  const { card_ref_key } = config;
  const now = opts.now ?? (() => new Date());
  const downlink = openKioskDownlink(dir, config);
  for (const note of downlink?.bootNotes ?? []) opts.onNote?.(`downlink: ${note}`);
  const plate_key = config.plate_key ?? never('the kiosk config has no plate_key');
  const wired = servicesFor(dir, opts.services ?? bundled!.config, plate_key, now, downlink);
  // The issuing desk keeps its own ledger: every opening balance is recorded there.
  const issuingLedger = RuntimeLedger.open(join(dir, 'issuing.db'), loadOrCreateKioskKey(join(dir, 'issuing-key.pem')));
  const desk = { ledger: issuingLedger, vault: issuerVault, card_ref_key };
  const station = new CardStation({ reader, vault: loadKeyVault(keysPath, { simulated: true, roles: ['debit', 'read'] }), terminal_id: config.terminal_id, card_ref_key, ledger, isHotlisted: downlink?.isHotlisted });
  // With a back office to talk to, bundles and hotlist deltas are fetched in the background; each refusal is said.
  const downlinkPoll =
    opts.sync && downlink
      ? startDownlinkPolling({
          serverUrl: opts.sync.serverUrl,
          key: kioskKey.privateKey,
          kiosk_id: kioskIdOf(kioskKey.publicKeyPem),
          store: downlink,
          interval_ms: DOWNLINK_POLL_MS,
          onReport: (report) => {
            for (const [what, step] of Object.entries(report)) if (step.status === 'refused') opts.onNote?.(`downlink: ${what} refused (${step.code}): ${step.reason}`);
          },
        })
      : null;

  let syncStatus: SyncStatus | null = null;
  const sim: SimKiosk = {
    actor: undefined as unknown as ResidentKiosk,
    ledger,
    ledger_path,
    printer,
    printerSim,
    journal,
    counter,
    selftest_passed: selftest.passed,
    dir,
    keys_path: keysPath,
    card_ref_key,
    through_pcscd: pcscd !== null,
    downlink,
    parking_sessions: wired.parking_sessions,
    services_label: bundled ? bundled.label : wired.services.map((x) => x.kind).join(', ') || 'none',
    risk_policy: DEFAULT_RISK_POLICY,
    syncStatus: () => (opts.sync ? syncStatus : null),
    staff_roster: null,
    language: 'en',
    async issueCard(label, opening_minor) {
      const statePath = join(dir, 'cards', `${label.replace(/[^A-Za-z0-9-]/g, '-').toLowerCase()}.json`);
      if (existsSync(statePath)) return reopenCard(statePath, issuerVault, card_ref_key);
      const card = new DesfireSim({ state: blankCardState(), onPersist: (s) => saveCardStateAtomic(statePath, s) });
      const issued = await issueRecorded(new InMemoryCardTransport(card), desk, { opening_balance_minor: opening_minor, limit_minor: 50_000, program_id: 1, valid_years: 5 });
      saveCardStateAtomic(statePath, card.state);
      return { card, masked_serial: issued.masked_serial, card_ref: issued.card_ref };
    },
    async stop() {
      downlinkPoll?.stop();
      sim.actor.stop();
      await station.release();
      await reader.close();
      ledger.close();
      issuingLedger.close();
      await printer.close();
      await printerSim.stop();
      await pcscd?.stop();
      wired.close();
      await bundled?.stop();
    },
  };
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer,
    services: wired.services,
    risk: downlink
      ? downlink.riskEnvironment({ online: () => true, now: () => new Date(), time_zone: 'America/Chicago' })
      : { policy: sim.risk_policy, online: () => true, hotlistAgeMs: () => 3_600_000, now: () => new Date(), time_zone: 'America/Chicago' },
    receipt: { kiosk_id: config.kiosk_id, location_label: 'East Branch Library', time_zone: 'America/Chicago', country: 'US', currency: KIOSK_CURRENCY },
    ...(opts.service_retry_ms === undefined ? {} : { service_retry_ms: opts.service_retry_ms }),
    language: () => sim.language,
    staffRoleOf: (card_ref) => sim.staff_roster?.byCardRef(card_ref)?.role ?? null,
    sync: opts.sync && {
      serverUrl: opts.sync.serverUrl,
      key: kioskKey,
      onStatus: (status) => (syncStatus = status),
      // Plates leave the kiosk's file once the back office holds their sessions (as keyed hashes).
      uploads: {
        ...(wired.parking_sessions ? { parking: { outboundSessions: () => wired.parking_sessions!.outboundSessions(), markDelivered: (sent) => wired.parking_sessions!.markDelivered(sent), plate_key_id: plateKeyId(plate_key) } } : {}),
        ...(wired.citations_paid ? { citations: wired.citations_paid } : {}),
      },
    },
  });
  (sim as { actor: ResidentKiosk }).actor = actor;
  await waitFor(actor, (s) => s.matches('idle'), { timeout: 10_000 });
  return sim;
}

function never(why: string): never {
  throw new Error(why);
}

/** A card issued on an earlier run: its saved state, and its masked serial as the card itself tells it. */
async function reopenCard(statePath: string, vault: SoftwareKeyVault, card_ref_key: Buffer): Promise<{ card: DesfireSim; masked_serial: string; card_ref: string }> {
  const card = new DesfireSim({ state: loadCardState(statePath), onPersist: (s) => saveCardStateAtomic(statePath, s) });
  const reading = await new Purse(new InMemoryCardTransport(card), { vault }).read();
  return { card, masked_serial: reading.masked_serial, card_ref: cardRefOf(reading.card_number, card_ref_key) };
}
