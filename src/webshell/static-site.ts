import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import type { Route } from '../kiosk/api/api-routes';
import { SECURITY_HEADERS, send } from '../kiosk/api/doors';
import { CONTENT_TYPES } from '../shared/content-types';

// Files of one folder (the built renderer, the simulator panel) served as they
// are. A path is decoded once, may not climb out of the folder (`..`, an
// encoded slash or backslash, a NUL, a symlink pointing outside) and names a
// file: anything else is a 404, never a listing. Every page carries the CSP.


export interface StaticSite {
  /** The folder; must exist when a request comes (`missing` answers otherwise). */
  readonly root: string;
  /** What `/` serves. */
  readonly index: string;
  /** The Content-Security-Policy of every answer, read per request (it may name a port bound later). */
  readonly csp: () => string;
  /** The answer when the folder is not there, e.g. "the renderer is not built: run npm run build:renderer". */
  readonly missing: string;
}

/** The file a URL path names inside `root`, or null when it names nothing there. */
export function resolveInside(root: string, urlPath: string, index: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.')) return null;
  const relative = parts.length === 0 ? index : parts.join(sep);
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(realRoot, relative));
  } catch {
    return null;
  }
  if (!real.startsWith(realRoot + sep)) return null;
  return statSync(real).isFile() ? real : null;
}

export function staticSite(site: StaticSite): Route {
  return async (req, res, path) => {
    let rootThere = true;
    try {
      rootThere = statSync(site.root).isDirectory();
    } catch {
      rootThere = false;
    }
    if (!rootThere) return send(res, 503, { error: site.missing });
    const file = resolveInside(site.root, path, site.index);
    if (file === null) return send(res, 404, { error: 'no such page' });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-security-policy': site.csp(),
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(statSync(file).size),
    });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve, reject) => {
      createReadStream(file).on('error', reject).on('end', resolve).pipe(res);
    });
  };
}
