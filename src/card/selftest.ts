import { wrapNative, parseResponse } from './apdu';
import { aesCmac } from './crypto/cmac';
import { diversifyAes128 } from './crypto/diversify';
import { authStep1Data, authStep2, authStep3, CMD_ADDITIONAL_FRAME, CMD_AUTH_EV2_FIRST, CMD_AUTH_EV2_NON_FIRST, type AuthKind } from './ev2/auth';
import { openResponse, protectCommand, type SecureSession } from './ev2/messaging';
import { computeIv, computeMac, deriveSessionKeys, deriveTransactionMacKeys } from './ev2/session';
import { BUILT_IN_VECTORS } from './selftest-vectors';

// Known-answer self-test of the card crypto, for any file of the schema in
// test/fixtures/vectors/README.md: every section optional, unknown fields ignored.
// A kiosk whose crypto fails its known answers refuses to move money.

export interface VectorOutcome {
  section: string;
  index: number;
  source: string;
  passed: boolean;
  detail?: string;
}

export interface SelftestReport {
  outcomes: VectorOutcome[];
  passed: number;
  failed: number;
  /** Sections present but not runnable (not a list, or unknown shape). */
  unrunnable: string[];
  ok: boolean;
}

type Vector = Record<string, unknown>;
type Check = (v: Vector) => void;

class Mismatch extends Error {}

function hex(v: Vector, field: string): Buffer {
  const value = v[field];
  if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(value)) {
    throw new Mismatch(`field "${field}" is missing or not hex`);
  }
  return Buffer.from(value, 'hex');
}

function int(v: Vector, field: string): number {
  const value = v[field];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new Mismatch(`field "${field}" is missing or not a non-negative integer`);
}

function expectEqual(what: string, actual: Uint8Array, expected: Uint8Array): void {
  if (!Buffer.from(actual).equals(Buffer.from(expected))) {
    throw new Mismatch(`${what}: got ${Buffer.from(actual).toString('hex').toUpperCase()}, expected ${Buffer.from(expected).toString('hex').toUpperCase()}`);
  }
}

function session(v: Vector): SecureSession {
  return {
    keys: { encKey: hex(v, 'SesAuthENCKey'), macKey: hex(v, 'SesAuthMACKey') },
    ti: hex(v, 'TI'),
    counter: int(v, 'counter'),
    keyNo: 0,
  };
}

function authCheck(kind: AuthKind): Check {
  return (v) => {
    const key = hex(v, 'key');
    const keyNo = hex(v, 'keyNo')[0] ?? 0;
    const rndA = hex(v, 'rndA');
    const cmd = kind === 'first' ? CMD_AUTH_EV2_FIRST : CMD_AUTH_EV2_NON_FIRST;
    if (v.capdu1 !== undefined) expectEqual('capdu1', wrapNative(cmd, authStep1Data(kind, keyNo)), hex(v, 'capdu1'));
    const r1 = parseResponse(hex(v, 'rapdu1'));
    if (!('status' in r1) || r1.status !== 0xaf) throw new Mismatch('rapdu1 does not end in 91AF');
    const step2 = authStep2(key, r1.data, rndA);
    if (v.rndB !== undefined) expectEqual('RndB', step2.rndB, hex(v, 'rndB'));
    if (v.capdu2 !== undefined) expectEqual('capdu2', wrapNative(CMD_ADDITIONAL_FRAME, step2.data), hex(v, 'capdu2'));
    const r2 = parseResponse(hex(v, 'rapdu2'));
    if (!('status' in r2) || r2.status !== 0x00) throw new Mismatch('rapdu2 does not end in 9100');
    const result = authStep3(kind, key, r2.data, rndA, step2.rndB); // throws when RndA' is wrong
    if (kind === 'first' && v.TI !== undefined) expectEqual('TI', result.ti ?? Buffer.alloc(0), hex(v, 'TI'));
    if (v.SesAuthENCKey !== undefined) expectEqual('SesAuthENCKey', result.keys.encKey, hex(v, 'SesAuthENCKey'));
    if (v.SesAuthMACKey !== undefined) expectEqual('SesAuthMACKey', result.keys.macKey, hex(v, 'SesAuthMACKey'));
  };
}

const CHECKS: Record<string, Check> = {
  cmac: (v) => expectEqual('CMAC', aesCmac(hex(v, 'key'), hex(v, 'msg')), hex(v, 'cmac')),
  diversify: (v) => expectEqual('diversified key', diversifyAes128(hex(v, 'masterKey'), hex(v, 'M')), hex(v, 'diversifiedKey')),
  session_keys: (v) => {
    const keys = deriveSessionKeys(hex(v, 'key'), hex(v, 'rndA'), hex(v, 'rndB'));
    expectEqual('SesAuthENCKey', keys.encKey, hex(v, 'SesAuthENCKey'));
    expectEqual('SesAuthMACKey', keys.macKey, hex(v, 'SesAuthMACKey'));
  },
  ev2_auth_first: authCheck('first'),
  ev2_auth_nonfirst: authCheck('nonFirst'),
  iv: (v) => {
    const prefix = String(v.prefix ?? '').toUpperCase();
    if (prefix !== 'A55A' && prefix !== '5AA5') throw new Mismatch('prefix must be A55A or 5AA5');
    const iv = computeIv(hex(v, 'SesAuthENCKey'), hex(v, 'TI'), int(v, 'counter'), prefix === 'A55A' ? 'cmd' : 'resp');
    expectEqual('IV', iv, hex(v, 'IV'));
  },
  mac: (v) => {
    const code = hex(v, 'code')[0];
    if (code === undefined) throw new Mismatch('field "code" is empty');
    const mac = computeMac(hex(v, 'SesAuthMACKey'), code, int(v, 'counter'), hex(v, 'TI'), hex(v, 'data'));
    expectEqual('MACt', mac, hex(v, 'MACt'));
  },
  full_cmd: (v) => {
    const code = hex(v, 'code')[0];
    if (code === undefined) throw new Mismatch('field "code" is empty');
    const data = protectCommand(session(v), 'full', code, hex(v, 'header'), hex(v, 'plain'));
    expectEqual('C-APDU', wrapNative(code, data), hex(v, 'capdu'));
  },
  full_resp: (v) => {
    const shouldVerify = v.valid !== false;
    const r = parseResponse(hex(v, 'rapdu'));
    if (!('status' in r)) throw new Mismatch('rapdu does not end in 91xx');
    let plain: Buffer;
    try {
      plain = openResponse(session(v), 'full', r.status, r.data, int(v, 'counter'));
    } catch (err) {
      if (!shouldVerify && !(err instanceof Mismatch)) return; // rejected, as it must be
      throw err;
    }
    if (!shouldVerify) throw new Mismatch('a response marked invalid was accepted');
    expectEqual('plain', plain, hex(v, 'plain'));
  },
  tmac_session_keys: (v) => {
    const keys = deriveTransactionMacKeys(hex(v, 'AppTransactionMACKey'), int(v, 'TMC_before'), hex(v, 'uid'));
    expectEqual('SesTMMACKey', keys.macKey, hex(v, 'SesTMMACKey'));
    expectEqual('SesTMENCKey', keys.encKey, hex(v, 'SesTMENCKey'));
  },
};

export const KNOWN_SECTIONS = Object.keys(CHECKS);

export function runVectors(file: unknown): SelftestReport {
  const outcomes: VectorOutcome[] = [];
  const unrunnable: string[] = [];
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    return { outcomes, passed: 0, failed: 0, unrunnable: ['(file is not a JSON object)'], ok: false };
  }
  for (const [section, vectors] of Object.entries(file as Record<string, unknown>)) {
    const check = CHECKS[section];
    if (!check) continue; // unknown sections are ignored, like unknown fields
    if (!Array.isArray(vectors)) {
      unrunnable.push(section);
      continue;
    }
    vectors.forEach((raw, index) => {
      const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Vector;
      const source = typeof v.source === 'string' ? v.source : '';
      try {
        check(v);
        outcomes.push({ section, index, source, passed: true });
      } catch (err) {
        outcomes.push({ section, index, source, passed: false, detail: err instanceof Error ? err.message : String(err) });
      }
    });
  }
  const passed = outcomes.filter((o) => o.passed).length;
  const failed = outcomes.length - passed;
  return { outcomes, passed, failed, unrunnable, ok: failed === 0 && unrunnable.length === 0 };
}

export function runBuiltInSelftest(): SelftestReport {
  return runVectors(BUILT_IN_VECTORS);
}

let cachedBuiltIn: SelftestReport | null = null;

/** Thrown by anything that moves money when the crypto failed its known answers. */
export class SelftestFailedError extends Error {
  override name = 'SelftestFailedError';
}

/** Runs the built-in self-test once per process; throws when it failed. */
export function assertCryptoSelftest(): void {
  cachedBuiltIn ??= runBuiltInSelftest();
  if (!cachedBuiltIn.ok) {
    const first = cachedBuiltIn.outcomes.find((o) => !o.passed);
    throw new SelftestFailedError(`card crypto failed its known-answer self-test (${first?.section ?? 'a section'}: ${first?.detail ?? 'could not run'}); refusing to move money`);
  }
}

/** For tests: forget the cached result so a broken primitive can be simulated. */
export function resetSelftestCache(report: SelftestReport | null = null): void {
  cachedBuiltIn = report;
}

export function formatReport(report: SelftestReport): string {
  const lines = report.outcomes.map((o) => {
    const label = `${o.section}[${o.index}]${o.source ? ` ${o.source}` : ''}`;
    return o.passed ? `PASS ${label}` : `FAIL ${label}: ${o.detail}`;
  });
  for (const section of report.unrunnable) lines.push(`FAIL ${section}: section could not be run (not a list of vectors)`);
  lines.push(`${report.passed} passed, ${report.failed + report.unrunnable.length} failed`);
  return lines.join('\n');
}
