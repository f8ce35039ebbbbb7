import { readFileSync } from 'node:fs';

// The simulator's data file: an institution, SC logins, patrons and their
// fines, amounts in minor units. Validated at load; errors name the field.

export interface SimFine {
  id: string;
  amount_minor: number;
  /** Billing type as the ILS names it: "Overdue", "Lost", "Fee"… */
  type: string;
  description: string;
  title?: string;
}

export interface SimPatron {
  id: string;
  pin?: string;
  name: string;
  address?: string;
  fines: SimFine[];
}

export interface IlsData {
  institution_id: string;
  library_name?: string;
  currency: string;
  logins: { user_id: string; password: string }[];
  patrons: SimPatron[];
}

export class IlsDataError extends Error {
  override name = 'IlsDataError';
}

const text = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || /[|\r\n]/.test(v)) throw new IlsDataError(`${field} must be text without "|" or line ends`);
  return v;
};
const optionalText = (v: unknown, field: string) => (v === undefined ? undefined : text(v, field));

export function checkIlsData(raw: unknown): IlsData {
  if (typeof raw !== 'object' || raw === null) throw new IlsDataError('the data file must hold a JSON object');
  const d = raw as Record<string, unknown>;
  if (!Array.isArray(d.patrons)) throw new IlsDataError('patrons must be a list');
  const logins = d.logins === undefined ? [] : d.logins;
  if (!Array.isArray(logins)) throw new IlsDataError('logins must be a list');
  const currency = text(d.currency ?? 'USD', 'currency');
  if (!/^[A-Z]{3}$/.test(currency)) throw new IlsDataError('currency must be an ISO 4217 code');
  return {
    institution_id: text(d.institution_id, 'institution_id'),
    library_name: optionalText(d.library_name, 'library_name'),
    currency,
    logins: logins.map((l: Record<string, unknown>, i) => ({ user_id: text(l.user_id, `logins[${i}].user_id`), password: text(l.password, `logins[${i}].password`) })),
    patrons: d.patrons.map((p: Record<string, unknown>, i) => {
      if (!Array.isArray(p.fines)) throw new IlsDataError(`patrons[${i}].fines must be a list`);
      return {
        id: text(p.id, `patrons[${i}].id`),
        pin: optionalText(p.pin, `patrons[${i}].pin`),
        name: text(p.name ?? '', `patrons[${i}].name`),
        address: optionalText(p.address, `patrons[${i}].address`),
        fines: p.fines.map((f: Record<string, unknown>, j) => {
          const where = `patrons[${i}].fines[${j}]`;
          if (!Number.isSafeInteger(f.amount_minor) || (f.amount_minor as number) <= 0) throw new IlsDataError(`${where}.amount_minor must be a positive integer`);
          return {
            id: text(f.id, `${where}.id`),
            amount_minor: f.amount_minor as number,
            type: text(f.type ?? 'Fee', `${where}.type`),
            description: text(f.description ?? '', `${where}.description`),
            title: optionalText(f.title, `${where}.title`),
          };
        }),
      };
    }),
  };
}

export function loadIlsData(path: string): IlsData {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new IlsDataError('the data file cannot be read as JSON');
  }
  return checkIlsData(raw);
}
