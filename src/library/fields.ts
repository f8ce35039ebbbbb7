import { fieldValue, type SipMessage } from './messages';

// Small readers shared by the typed request and response views: a Y/N flag, a
// required field, a SIP2 date. Errors name the field, never its value.

export class SipFieldError extends Error {
  override name = 'SipFieldError';
}

export function flag(value: string | undefined, field: string): boolean {
  if (value === 'Y' || value === '1') return true;
  if (value === 'N' || value === '0') return false;
  throw new SipFieldError(`${field} is not Y or N`);
}

export function optionalFlag(value: string | undefined, field: string): boolean | null {
  return value === undefined || value === '' || value === ' ' ? null : flag(value, field);
}

export function required(message: SipMessage, tag: string, field: string): string {
  const value = fieldValue(message, tag);
  if (value === undefined) throw new SipFieldError(`${field} (${tag}) is missing`);
  return value;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "YYYYMMDD    HHMMSS": local time, the four blanks saying "local time zone". */
export function sipDate(at: Date): string {
  return `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}    ${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
}
