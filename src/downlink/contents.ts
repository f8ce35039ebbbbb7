import { ILS_PROFILES, isIlsProfileName, type IlsProfileName } from '../library/profiles';
import { parseTariffs } from '../parking';
import type { Tariffs } from '../parking';

// What a config bundle may carry, each part checked by the validator its
// consumer uses: tariffs by the CDS parser (which refuses any field it cannot
// price), the ILS profile against the known profiles, limits as positive whole
// numbers. An unknown part or field is refused, never ignored: a field the
// kiosk skipped could be one meant to change a price or a limit.

export const OFFLINE_LIMIT_FIELDS = ['offline_tx_max_minor', 'unsynced_cap_minor', 'hotlist_max_age_ms', 'daily_card_max_minor'] as const;
export type OfflineLimits = Partial<Record<(typeof OFFLINE_LIMIT_FIELDS)[number], number>>;

export const FEE_SERVICE_KINDS = ['library_fine', 'parking', 'citation'] as const;
/** Fixed fees of the services that charge one (minor units), by service kind. */
export interface FeeRules {
  readonly fixed_fee_minor?: Partial<Record<(typeof FEE_SERVICE_KINDS)[number], number>>;
}

export interface BundleContents {
  /** CDS Curbs JSON, as published (docs/parking-tariffs.md). */
  readonly tariffs?: unknown;
  readonly fee_rules?: FeeRules;
  readonly offline_limits?: OfflineLimits;
  readonly ils_profile?: IlsProfileName;
}

/** The contents, checked and with the tariffs parsed. */
export interface CheckedContents {
  readonly contents: BundleContents;
  readonly tariffs: Tariffs | null;
}

const CONTENT_PARTS = ['tariffs', 'fee_rules', 'offline_limits', 'ils_profile'];
const MAX_REASONS = 5;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInteger = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** The contents checked, or every reason they cannot be used (each naming its path). */
export function checkContents(value: unknown): { ok: true; value: CheckedContents } | { ok: false; reasons: string[] } {
  const reasons: string[] = [];
  if (!isObject(value)) return { ok: false, reasons: ['contents: must be an object'] };
  for (const key of Object.keys(value)) if (!CONTENT_PARTS.includes(key)) reasons.push(`contents.${key}: not a known part (${CONTENT_PARTS.join(', ')})`);

  let tariffs: Tariffs | null = null;
  if (value.tariffs !== undefined) {
    const parsed = parseTariffs(value.tariffs);
    if (parsed.ok) tariffs = parsed.tariffs;
    else reasons.push(...parsed.errors.map((e) => `contents.tariffs ${e.path}: ${e.message}`));
  }
  if (value.offline_limits !== undefined) checkIntegers(value.offline_limits, 'contents.offline_limits', OFFLINE_LIMIT_FIELDS, reasons);
  if (value.fee_rules !== undefined) {
    if (!isObject(value.fee_rules)) reasons.push('contents.fee_rules: must be an object');
    else {
      for (const key of Object.keys(value.fee_rules)) if (key !== 'fixed_fee_minor') reasons.push(`contents.fee_rules.${key}: not a known rule`);
      if (value.fee_rules.fixed_fee_minor !== undefined) checkIntegers(value.fee_rules.fixed_fee_minor, 'contents.fee_rules.fixed_fee_minor', FEE_SERVICE_KINDS, reasons);
    }
  }
  if (value.ils_profile !== undefined && (typeof value.ils_profile !== 'string' || !isIlsProfileName(value.ils_profile))) {
    reasons.push(`contents.ils_profile: must be one of ${Object.keys(ILS_PROFILES).join(', ')}`);
  }
  if (reasons.length > 0) return { ok: false, reasons: reasons.length > MAX_REASONS ? [...reasons.slice(0, MAX_REASONS), `… and ${reasons.length - MAX_REASONS} more`] : reasons };
  return { ok: true, value: { contents: value as BundleContents, tariffs } };
}

function checkIntegers(value: unknown, path: string, fields: readonly string[], reasons: string[]): void {
  if (!isObject(value)) {
    reasons.push(`${path}: must be an object`);
    return;
  }
  for (const [key, n] of Object.entries(value)) {
    if (!fields.includes(key)) reasons.push(`${path}.${key}: not a known field (${fields.join(', ')})`);
    else if (!isPositiveInteger(n)) reasons.push(`${path}.${key}: must be a positive whole number`);
  }
}
