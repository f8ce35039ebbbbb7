import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalDocumentJson } from './canonical';
import { checkContents, type BundleContents, type CheckedContents } from './contents';

// The back office's downlink documents (docs/downlink.md): a config bundle,
// whole and versioned, and a hotlist delta from one version to the next. Each
// is signed by the back office's Ed25519 key over
//
//   DOMAIN LF canonical JSON of every field but `signature`
//
// where DOMAIN names the document type, so a signature on one kind of document
// can never pass as another. A kiosk checks, in this order: the shape, the
// signature, the version against what it holds, then the contents.

export const BUNDLE_FORMAT = 'civicard-bundle/1';
export const HOTLIST_FORMAT = 'civicard-hotlist/1';
const BUNDLE_DOMAIN = 'civicard-downlink-bundle/1';
const HOTLIST_DOMAIN = 'civicard-downlink-hotlist/1';

export const CARD_REF = /^[0-9a-f]{32}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
/** Refs one delta may carry: a whole hotlist sent as one delta still fits. */
const MAX_DELTA_REFS = 1_000_000;

export interface ConfigBundle {
  readonly format: typeof BUNDLE_FORMAT;
  /** 1, 2, 3…: a kiosk takes only a version above the one it holds. */
  readonly version: number;
  readonly issued_at: string;
  readonly contents: BundleContents;
  readonly signature: string;
}

export interface HotlistDelta {
  readonly format: typeof HOTLIST_FORMAT;
  readonly from_version: number;
  /** Equal to from_version with nothing added or removed: "still current at issued_at". */
  readonly to_version: number;
  readonly issued_at: string;
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly signature: string;
}

export type Unsigned<T> = Omit<T, 'signature'>;

export type DownlinkErrorCode = 'wrong_format' | 'bad_signature' | 'not_newer' | 'not_continuing' | 'contents_invalid';

export class DownlinkError extends Error {
  override name = 'DownlinkError';
  constructor(
    readonly code: DownlinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function signBundle(bundle: Unsigned<ConfigBundle>, privateKey: KeyObject): ConfigBundle {
  const checked = checkContents(bundle.contents);
  if (!checked.ok) throw new DownlinkError('contents_invalid', `bundle contents refused: ${checked.reasons.join('; ')}`);
  const unsigned: Unsigned<ConfigBundle> = { format: BUNDLE_FORMAT, version: bundle.version, issued_at: bundle.issued_at, contents: bundle.contents };
  checkBundleShape({ ...unsigned, signature: 'A'.repeat(86) + '==' });
  return { ...unsigned, signature: signText(BUNDLE_DOMAIN, unsigned, privateKey) };
}

export function signHotlistDelta(delta: Unsigned<HotlistDelta>, privateKey: KeyObject): HotlistDelta {
  const unsigned: Unsigned<HotlistDelta> = {
    format: HOTLIST_FORMAT,
    from_version: delta.from_version,
    to_version: delta.to_version,
    issued_at: delta.issued_at,
    add: delta.add,
    remove: delta.remove,
  };
  checkDeltaShape({ ...unsigned, signature: 'A'.repeat(86) + '==' });
  return { ...unsigned, signature: signText(HOTLIST_DOMAIN, unsigned, privateKey) };
}

/**
 * A bundle the kiosk may apply over `held_version` (null: it holds none), with
 * its tariffs parsed; throws DownlinkError saying why not.
 */
export function verifyBundle(doc: unknown, publicKey: KeyObject, held_version: number | null): ConfigBundle & { checked: CheckedContents } {
  const bundle = checkBundleShape(doc);
  const { signature, ...unsigned } = bundle;
  if (!verifyText(BUNDLE_DOMAIN, unsigned, signature, publicKey)) throw new DownlinkError('bad_signature', `bundle version ${bundle.version}: the signature does not verify with the back-office key`);
  if (held_version !== null && bundle.version <= held_version) {
    throw new DownlinkError('not_newer', `bundle version ${bundle.version} is not newer than version ${held_version} already applied`);
  }
  const checked = checkContents(bundle.contents);
  if (!checked.ok) throw new DownlinkError('contents_invalid', `bundle version ${bundle.version}: ${checked.reasons.join('; ')}`);
  return { ...bundle, checked: checked.value };
}

/** A delta the kiosk may apply over the hotlist version it holds; throws DownlinkError saying why not. */
export function verifyHotlistDelta(doc: unknown, publicKey: KeyObject, held_version: number): HotlistDelta {
  const delta = checkDeltaShape(doc);
  const { signature, ...unsigned } = delta;
  if (!verifyText(HOTLIST_DOMAIN, unsigned, signature, publicKey)) {
    throw new DownlinkError('bad_signature', `hotlist delta ${delta.from_version}→${delta.to_version}: the signature does not verify with the back-office key`);
  }
  if (delta.to_version < held_version) throw new DownlinkError('not_newer', `hotlist delta to version ${delta.to_version} is older than version ${held_version} already held`);
  if (delta.from_version !== held_version) {
    throw new DownlinkError('not_continuing', `hotlist delta starts at version ${delta.from_version}, but this kiosk holds version ${held_version}`);
  }
  return delta;
}

/** The back office's public key from the PEM in a kiosk's config (a private key PEM yields its public half). */
export function backOfficePublicKey(pem: string): KeyObject {
  const key = /PRIVATE KEY/.test(pem) ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('the back-office key must be an Ed25519 key');
  return key;
}

function signText(domain: string, unsigned: object, privateKey: KeyObject): string {
  return sign(null, Buffer.from(`${domain}\n${canonicalDocumentJson(unsigned)}`), privateKey).toString('base64');
}

function verifyText(domain: string, unsigned: object, signature: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(`${domain}\n${canonicalDocumentJson(unsigned)}`), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

type Obj = Record<string, unknown>;

function fieldsOf(doc: unknown, what: string, format: string, fields: readonly string[]): Obj {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DownlinkError('wrong_format', `${what}: not a JSON object`);
  const obj = doc as Obj;
  if (obj.format !== format) throw new DownlinkError('wrong_format', `${what}: format must be ${format}`);
  const extra = Object.keys(obj).filter((k) => !fields.includes(k));
  if (extra.length > 0) throw new DownlinkError('wrong_format', `${what}: unknown field ${extra.join(', ')}`);
  if (typeof obj.issued_at !== 'string' || !ISO_MS.test(obj.issued_at) || new Date(Date.parse(obj.issued_at)).toISOString() !== obj.issued_at) {
    throw new DownlinkError('wrong_format', `${what}: issued_at must be an ISO 8601 UTC time with milliseconds`);
  }
  if (typeof obj.signature !== 'string' || !SIGNATURE.test(obj.signature)) throw new DownlinkError('wrong_format', `${what}: signature must be 64 bytes of base64`);
  return obj;
}

function checkBundleShape(doc: unknown): ConfigBundle {
  const obj = fieldsOf(doc, 'bundle', BUNDLE_FORMAT, ['format', 'version', 'issued_at', 'contents', 'signature']);
  if (!Number.isSafeInteger(obj.version) || (obj.version as number) < 1) throw new DownlinkError('wrong_format', 'bundle: version must be a whole number of at least 1');
  if (typeof obj.contents !== 'object' || obj.contents === null || Array.isArray(obj.contents)) throw new DownlinkError('wrong_format', 'bundle: contents must be an object');
  return obj as unknown as ConfigBundle;
}

function checkDeltaShape(doc: unknown): HotlistDelta {
  const obj = fieldsOf(doc, 'hotlist delta', HOTLIST_FORMAT, ['format', 'from_version', 'to_version', 'issued_at', 'add', 'remove', 'signature']);
  const { from_version: from, to_version: to } = obj;
  if (!Number.isSafeInteger(from) || (from as number) < 0) throw new DownlinkError('wrong_format', 'hotlist delta: from_version must be a whole number of at least 0');
  if (!Number.isSafeInteger(to) || (to as number) < (from as number)) throw new DownlinkError('wrong_format', 'hotlist delta: to_version must be a whole number, at least from_version');
  for (const list of ['add', 'remove'] as const) {
    const refs = obj[list];
    if (!Array.isArray(refs) || refs.length > MAX_DELTA_REFS) throw new DownlinkError('wrong_format', `hotlist delta: ${list} must be a list of card references`);
    const bad = refs.findIndex((r) => typeof r !== 'string' || !CARD_REF.test(r));
    if (bad >= 0) throw new DownlinkError('wrong_format', `hotlist delta: ${list}[${bad}] is not a card reference (32 lower-case hex digits)`);
  }
  const add = obj.add as string[];
  const remove = new Set(obj.remove as string[]);
  if (add.some((r) => remove.has(r))) throw new DownlinkError('wrong_format', 'hotlist delta: a card reference is both added and removed');
  if (from === to && (add.length > 0 || remove.size > 0)) throw new DownlinkError('wrong_format', 'hotlist delta: a change must move to a newer version');
  return obj as unknown as HotlistDelta;
}
