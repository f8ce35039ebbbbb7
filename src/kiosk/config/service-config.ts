import { readFileSync } from 'node:fs';
import { parseTariffs, type Tariffs } from '../../parking';
import { ILS_PROFILES, isIlsProfileName, type IlsProfileName } from '../../library/profiles';
import { parseCitations, type CitationBook } from '../services/citations';
import { KioskConfigError } from './kiosk-config';

// What each kiosk is told about the services it sells (`civicard kiosk
// --sip2 … --tariffs FILE --citations FILE`): the ILS to reach over SIP2, the
// tariff and citation files it prices from locally. Every bad value is refused
// at start with the flag, the file and the field named — never at the first
// resident.

export interface LibraryWiring {
  readonly host: string;
  readonly port: number;
  readonly login?: { readonly user_id: string; readonly password: string };
  readonly institution_id: string;
  readonly profile: IlsProfileName;
}

export interface KioskServiceConfig {
  readonly library?: LibraryWiring;
  readonly tariffs?: Tariffs;
  readonly citations?: CitationBook;
}

export interface ServiceFlags {
  sip2?: string;
  sip2Login?: string;
  institution?: string;
  ilsProfile?: string;
  tariffs?: string;
  citations?: string;
}

export function hostPortOf(flag: string, value: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65_535) throw new KioskConfigError(`${flag} must be HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:6001), got "${value}"`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

export function loginOf(flag: string, value: string): { user_id: string; password: string } {
  const at = value.indexOf(':');
  if (at <= 0) throw new KioskConfigError(`${flag} must be USER:PASSWORD`);
  return { user_id: value.slice(0, at), password: value.slice(at + 1) };
}

function readJsonFile(flag: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KioskConfigError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KioskConfigError(`${flag} ${path}: not valid JSON`);
  }
}

const SHOWN_ERRORS = 5;

export function loadTariffsFile(path: string, currency: string): Tariffs {
  const parsed = parseTariffs(readJsonFile('--tariffs', path));
  if (!parsed.ok) {
    const shown = parsed.errors.slice(0, SHOWN_ERRORS).map((e) => `${e.path}: ${e.message}`);
    const more = parsed.errors.length > SHOWN_ERRORS ? `; and ${parsed.errors.length - SHOWN_ERRORS} more (civicard parking quote lists them all)` : '';
    throw new KioskConfigError(`--tariffs ${path}: ${parsed.errors.length} field(s) cannot be priced: ${shown.join('; ')}${more}`);
  }
  if (parsed.tariffs.currency !== currency) throw new KioskConfigError(`--tariffs ${path}: $.currency is ${parsed.tariffs.currency}, this kiosk takes ${currency}`);
  return parsed.tariffs;
}

export function loadCitationsFile(path: string, currency: string): CitationBook {
  const parsed = parseCitations(readJsonFile('--citations', path));
  if (!parsed.ok) throw new KioskConfigError(`--citations ${path}: ${parsed.errors.slice(0, SHOWN_ERRORS).join('; ')}`);
  if (parsed.book.currency !== currency) throw new KioskConfigError(`--citations ${path}: $.currency is ${parsed.book.currency}, this kiosk takes ${currency}`);
  return parsed.book;
}

/** The command line's service flags, checked; a flag that needs another names it. */
export function serviceConfigOf(flags: ServiceFlags, currency: string): KioskServiceConfig {
  const config: { -readonly [K in keyof KioskServiceConfig]: KioskServiceConfig[K] } = {};
  if (flags.sip2 === undefined) {
    for (const [flag, value] of [['--sip2-login', flags.sip2Login], ['--institution', flags.institution], ['--ils-profile', flags.ilsProfile]] as const) {
      if (value !== undefined) throw new KioskConfigError(`${flag} needs --sip2 HOST:PORT`);
    }
  } else {
    const { host, port } = hostPortOf('--sip2', flags.sip2);
    if (flags.institution === undefined || !/^[\x21-\x7e]{1,32}$/.test(flags.institution)) throw new KioskConfigError('--sip2 needs --institution ID (the SIP2 institution id, AO; 1 to 32 printable characters)');
    const profile = flags.ilsProfile ?? 'koha';
    if (!isIlsProfileName(profile)) throw new KioskConfigError(`--ils-profile must be one of ${Object.keys(ILS_PROFILES).join(', ')}`);
    config.library = { host, port, institution_id: flags.institution, profile, ...(flags.sip2Login === undefined ? {} : { login: loginOf('--sip2-login', flags.sip2Login) }) };
  }
  if (flags.tariffs !== undefined) config.tariffs = loadTariffsFile(flags.tariffs, currency);
  if (flags.citations !== undefined) config.citations = loadCitationsFile(flags.citations, currency);
  return config;
}
