import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rendererNeedsBuild } from '../../src/webshell/renderer-build';
import { extname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';
import { CONTENT_TYPES } from '../../src/shared/content-types';

// The built renderer (renderer/dist), for tests that load it in Chromium:
// built here when missing or older than its sources, and served to a page
// from the dist folder under a made-up origin (no server process needed).

export const RENDERER_DIST = join(process.cwd(), 'renderer', 'dist');

/** Builds renderer/dist (vite, production) when it is missing or older than its sources or the contracts it imports. */
export function ensureRendererBuilt(): void {
  if (!rendererNeedsBuild()) return;
  execFileSync(process.execPath, [join(process.cwd(), 'node_modules/vite/bin/vite.js'), 'build', 'renderer', '--logLevel', 'warn'], {
    stdio: 'inherit',
    // vitest runs with NODE_ENV=test, which would make vite bundle React's development build
    env: { ...process.env, NODE_ENV: 'production' },
  });
}


export const RENDERER_ORIGIN = 'http://renderer.test';

/** Answers every request to RENDERER_ORIGIN in this page from renderer/dist. */
export async function serveRendererDist(page: Page): Promise<void> {
  await page.route(`${RENDERER_ORIGIN}/**`, async (route) => {
    const path = normalize(new URL(route.request().url()).pathname).replace(/^\/+/, '') || 'index.html';
    const file = join(RENDERER_DIST, path);
    if (!file.startsWith(RENDERER_DIST) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    await route.fulfill({ status: 200, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
}
