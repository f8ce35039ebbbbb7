// CSV as RFC 4180 writes it: comma separated, CRLF line ends, a field quoted
// when it holds a comma, a double quote, a line break or edge spaces, with
// quotes doubled. Text that a spreadsheet would run as a formula (=, +, -, @
// first) gets a leading apostrophe; numbers are written as numbers.

export type CsvCell = string | number | boolean | null;

export function csvField(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
