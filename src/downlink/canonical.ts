// The bytes a downlink document is signed over. The ledger's canonicalJson
// (src/ledger/encoding.ts) is deliberately narrow (no arrays, no fractions) and
// a hotlist is a list and CDS tariffs carry coordinates, so this is its
// superset: the same sorted-keys, no-whitespace encoding, plus arrays,
// booleans and finite numbers as JSON.stringify writes them (ECMAScript fixes
// that text for every double, so both ends compute the same bytes).

export class CanonicalJsonError extends TypeError {
  override name = 'CanonicalJsonError';
}

export function canonicalDocumentJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`canonical JSON holds finite numbers only, not ${value}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalDocumentJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalDocumentJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`canonical JSON cannot hold ${typeof value}`);
  }
}
