import { kioskIdOf, signRequest } from '../../backoffice/auth/request-signing';
import type { KioskKey } from '../../ledger';
import { err, ok, type FetchReplacementResult } from '../machines/contracts';

// The attendant station asks the back office what a lost card's replacement
// code authorises (GET /v1/replacements/:code, a signed kiosk request,
// docs/lost-card.md). Anything short of a clear answer is `offline`: the
// station then refuses the replacement and moves no money.

export interface BackOfficeLink {
  serverUrl: string;
  /** The station's ledger key, as sync uses it. */
  key: KioskKey;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
}

const CARD_REF = /^[0-9a-f]{32,64}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,79}$/;

export async function fetchReplacement(link: BackOfficeLink | undefined, code: string): Promise<FetchReplacementResult> {
  if (link === undefined) return err('offline');
  const path = `/v1/replacements/${encodeURIComponent(code)}`;
  const url = new URL(path, link.serverUrl);
  const headers = signRequest({ method: 'GET', path: url.pathname, body: '', key: link.key.privateKey, kiosk_id: kioskIdOf(link.key.publicKeyPem), now: (link.now ?? Date.now)() });
  let status: number;
  let body: unknown;
  try {
    const res = await (link.fetch ?? fetch)(url, { headers, signal: AbortSignal.timeout(link.timeoutMs ?? 5_000) });
    status = res.status;
    body = await res.json().catch(() => null);
  } catch {
    return err('offline');
  }
  if (status === 404 || status === 400) return err('unknown_code');
  if (status === 409) return err('already_used');
  if (status === 429 || status >= 500 || status === 401) return err('offline');
  if (status !== 200) return err('refused');
  const b = body as { id?: unknown; old_card_ref?: unknown; amount_minor?: unknown; status?: unknown } | null;
  if (b === null || typeof b.id !== 'string' || !ID.test(b.id) || typeof b.old_card_ref !== 'string' || !CARD_REF.test(b.old_card_ref) || !Number.isSafeInteger(b.amount_minor) || (b.amount_minor as number) < 0 || b.status !== 'pending') {
    return err('refused');
  }
  return ok({ id: b.id, old_card_ref: b.old_card_ref, amount_minor: b.amount_minor as number });
}
