import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIlsData } from '../../library/ils-data';
import { IlsSimulator } from '../../library/ils-simulator';
import { loadCitationsFile, loadTariffsFile, type KioskServiceConfig } from '../config/service-config';

// The services a simulated kiosk sells unless told otherwise: the ILS
// simulator in this process on a free loopback port (real SIP2 over TCP, the
// login from its data file), parking priced from the CDS tariff fixture and
// citations from the citations fixture — the same wiring as the scripted day.
// Used by `civicard demo`, `civicard kiosk --sim`, `civicard start` and the
// Electron core with CIVICARD_SIM=1.

/** The repository's test/fixtures (the packaged app ships the three files it needs, electron-builder.yml). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures', import.meta.url));

export interface SimServiceFiles {
  /** The ILS simulator's patrons, fines and SC logins. */
  ils_data: string;
  tariffs: string;
  citations: string;
}

export function simServiceFiles(fixtures_dir = FIXTURES_DIR): SimServiceFiles {
  return {
    ils_data: join(fixtures_dir, 'ils', 'library.json'),
    tariffs: join(fixtures_dir, 'tariffs', 'chicago-downtown.json'),
    citations: join(fixtures_dir, 'citations', 'downtown.json'),
  };
}

export interface SimServices {
  /** What the kiosk is told, as if from --sip2 … --tariffs … --citations. */
  readonly config: KioskServiceConfig;
  readonly ils: IlsSimulator;
  readonly ils_port: number;
  /** One line for the console: what is sold, and from where. */
  readonly label: string;
  stop(): Promise<void>;
}

/** Every file is read and checked before the ILS simulator listens: a bad file starts nothing. */
export async function startSimServices(files: SimServiceFiles = simServiceFiles(), currency = 'USD'): Promise<SimServices> {
  const tariffs = loadTariffsFile(files.tariffs, currency);
  const citations = loadCitationsFile(files.citations, currency);
  const data = loadIlsData(files.ils_data);
  const login = data.logins[0];
  const ils = new IlsSimulator({ data, profile: 'koha' });
  const { port } = await ils.start(0, '127.0.0.1');
  return {
    config: { library: { host: '127.0.0.1', port, institution_id: data.institution_id, profile: 'koha', ...(login ? { login } : {}) }, tariffs, citations },
    ils,
    ils_port: port,
    label: `library fines (ILS simulator, SIP2 on 127.0.0.1:${port}), parking (${files.tariffs}), citations (${files.citations})`,
    stop: () => ils.stop(),
  };
}
