import { currencyDigits, sumMinor, type Minor } from '../shared/money';
import { parseSipAmount, SipAmountError } from './money';
import type { PatronFinesView } from './responses';

// Fine items (AV) are free text and every ILS writes them its own way:
//   Koha (default av_field_template)  "<description> <amount %.2f>"     "Overdue fine 3.50"
//   Evergreen (av_format eg_legacy)    "<amount> <billing type> <title / author>"
//   Evergreen (av_format 3m, swyer_a)  "<xact id> $<amount> \"<FINE|FEE|LOST>\" <title>"
// A profile is a pattern with named groups: amount (required), fee_id and
// description (optional). When any item lacks a fee id or an amount, or the
// items do not add up to the total (BV), the kiosk can only pay the total.

export interface IlsProfile {
  readonly name: string;
  readonly fine_item: RegExp;
}

export const ILS_PROFILES = {
  koha: { name: 'koha', fine_item: /^(?<description>.*?)\s*(?<amount>\d+(?:\.\d+)?)$/s },
  evergreen: { name: 'evergreen', fine_item: /^(?<amount>\d+(?:\.\d+)?)(?:\s+(?<description>.*))?$/s },
  'evergreen-3m': { name: 'evergreen-3m', fine_item: /^(?<fee_id>\S+) \$(?<amount>\d+(?:\.\d+)?) "(?<type>[^"]*)"(?: (?<description>.*))?$/s },
} as const satisfies Record<string, IlsProfile>;

export type IlsProfileName = keyof typeof ILS_PROFILES;

export function isIlsProfileName(name: string): name is IlsProfileName {
  return Object.hasOwn(ILS_PROFILES, name);
}

/** A site's own AV format: a pattern with the named groups above. */
export function customProfile(name: string, pattern: string): IlsProfile {
  const fine_item = new RegExp(pattern, 's');
  if (!pattern.includes('(?<amount>')) throw new Error(`profile ${name}: the pattern needs an (?<amount>…) group`);
  return { name, fine_item };
}

export interface FineItem {
  /** What the ILS calls this fee (CG for Fee Paid); null when the text carries none. */
  fee_id: string | null;
  amount_minor: Minor | null;
  description: string;
}

export interface PatronFines {
  currency: string;
  total_minor: Minor;
  items: FineItem[];
  /** per_item: each item can be paid with its fee id; total_only: pay BV without a fee id. */
  payable: 'per_item' | 'total_only';
}

export class FinesError extends Error {
  override name = 'FinesError';
}

export function parseFineItem(text: string, profile: IlsProfile, digits: number): FineItem {
  const groups = profile.fine_item.exec(text.trim())?.groups;
  if (groups?.amount === undefined) return { fee_id: null, amount_minor: null, description: text.trim() };
  let amount_minor: Minor | null;
  try {
    amount_minor = parseSipAmount(groups.amount, digits, 'fine item amount');
  } catch (e) {
    if (!(e instanceof SipAmountError)) throw e;
    amount_minor = null;
  }
  const description = [groups.type, groups.description].filter((x) => x !== undefined && x !== '').join(' ');
  return { fee_id: groups.fee_id || null, amount_minor, description };
}

/** A 64's money as the kiosk uses it. `currency` is the kiosk's, used when the ILS sends no BH. */
export function interpretFines(view: PatronFinesView, profile: IlsProfile, currency: string): PatronFines {
  const cur = view.currency_type ?? currency;
  const digits = currencyDigits(cur);
  const items = view.fine_items.map((x) => parseFineItem(x, profile, digits));
  const itemAmounts = items.map((x) => x.amount_minor);
  const allParsed = itemAmounts.every((x) => x !== null);
  let total_minor: Minor;
  if (view.fee_amount !== null) total_minor = parseSipAmount(view.fee_amount, digits, 'fee amount (BV)');
  else if (allParsed) total_minor = sumMinor(itemAmounts as Minor[]);
  else throw new FinesError('the ILS sent no fee amount (BV) and fine items whose amounts cannot be read');
  const perItem = items.length > 0 && allParsed && items.every((x) => x.fee_id !== null) && sumMinor(itemAmounts as Minor[]) === total_minor;
  return { currency: cur, total_minor, items, payable: perItem ? 'per_item' : 'total_only' };
}
