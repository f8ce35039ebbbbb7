import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the
// end-to-end tests and `npm run bench:ui`. A fresh profile every launch, no
// network of its own (no updates, sync or background fetches), so a run never
// depends on what an earlier one left behind.

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** The kiosk's touch screen, both ways up (renderer/src/styles.css switches layout on orientation). */
export const VIEWPORTS = {
  portrait: { width: 1080, height: 1920 },
  landscape: { width: 1920, height: 1080 },
} as const;

export type Orientation = keyof typeof VIEWPORTS;
export const ORIENTATIONS = Object.keys(VIEWPORTS) as Orientation[];

export interface Chromium {
  readonly context: BrowserContext;
  newPage(orientation?: Orientation): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(opts: { headless?: boolean } = {}): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error('Chromium is not installed: run bash scripts/setup.sh');
  const profile = mkdtempSync(join(tmpdir(), 'civicard-chromium-'));
  // playwright-core refuses --user-data-dir in args: the persistent context is how a profile dir is given
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: opts.headless ?? true,
    args: [...CHROMIUM_ARGS],
    viewport: VIEWPORTS.portrait,
  });
  for (const page of context.pages()) await page.close();
  return {
    context,
    async newPage(orientation = 'portrait') {
      const page = await context.newPage();
      await page.setViewportSize(VIEWPORTS[orientation]);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
