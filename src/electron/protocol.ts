import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { CONTENT_TYPES } from '../shared/content-types';

// The app is served from civicard://app/, a privileged standard scheme, not
// from file:// (where every file on the disk is same-origin) nor from a local
// HTTP port (which any process or page on the machine could reach). Only files
// under the built renderer folder are served; anything else is a 404.

export const SCHEME = 'civicard';
export const APP_HOST = 'app';
export const APP_URL = `${SCHEME}://${APP_HOST}/`;
/** The page shown when the renderer keeps crashing; owned by the shell, not the renderer build. */
export const OUT_OF_SERVICE_PATH = '/__shell/out-of-service.html';
export const OUT_OF_SERVICE_URL = `${SCHEME}://${APP_HOST}${OUT_OF_SERVICE_PATH}`;

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** On every answer of the app scheme, found or not. */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The privileges registered before `ready`: standard (relative URLs, origin), secure (like https), fetch for the app's own files. */
export const SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false, allowServiceWorkers: false, bypassCSP: false } as const;

/** True when `url` is a page or file of the app itself (civicard://app/…). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

/**
 * The file under `root` that `url` names, or null when it names none there:
 * another scheme or host, an encoded slash, backslash or NUL, or a path that
 * climbs out of `root` once decoded. `/` is index.html.
 */
export function fileForUrl(root: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  const raw = new URL(url).pathname;
  if (/%(2f|5c|00)/i.test(raw) || raw.includes('\\')) return null;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (path.split('/').some((segment) => segment === '..')) return null;
  const base = resolve(root);
  const file = resolve(base, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  return file.startsWith(base + sep) ? file : null;
}

const OUT_OF_SERVICE_HTML = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Fuera de servicio</title>
<style>body{margin:0;height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;font-family:sans-serif;background:#1d3557;color:#fff;text-align:center}h1{font-size:3rem;margin:.5rem}p{font-size:1.6rem;margin:.3rem}</style></head>
<body><h1>Fuera de servicio</h1><p lang="en">Out of service</p><p lang="pt">Fora de serviço</p>
<p>Por favor, use otro quiosco o pida ayuda al personal.</p><p lang="en">Please use another kiosk or ask a member of staff.</p><p lang="pt">Use outro quiosque ou peça ajuda à equipe.</p></body></html>
`;

function answer(status: number, body: string | Buffer, type: string): Response {
  return new Response(status === 200 ? new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)) : body, { status, headers: { ...RESPONSE_HEADERS, 'content-type': type } });
}

/** The handler for `protocol.handle(SCHEME, …)`: files of `root`, the shell's own out-of-service page, 404 for everything else. */
export function appProtocolHandler(root: string): (request: { url: string; method?: string }) => Promise<Response> {
  return async (request) => {
    if (request.method !== undefined && request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'method not allowed', 'text/plain; charset=utf-8');
    if (isAppUrl(request.url) && new URL(request.url).pathname === OUT_OF_SERVICE_PATH) return answer(200, OUT_OF_SERVICE_HTML, CONTENT_TYPES['.html']!);
    const file = fileForUrl(root, request.url);
    const type = file === null ? undefined : CONTENT_TYPES[extname(file).toLowerCase()];
    if (file === null || type === undefined) return answer(404, 'not found', 'text/plain; charset=utf-8');
    try {
      return answer(200, await readFile(file), type);
    } catch {
      return answer(404, 'not found', 'text/plain; charset=utf-8');
    }
  };
}
