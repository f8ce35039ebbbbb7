import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ORIENTATIONS, VIEWPORTS, type Orientation } from './chromium';

// What every screen the end-to-end tests reach must pass, in both
// orientations: an axe-core scan (WCAG 2.x A/AA), a name on every control in
// Chromium's own accessibility tree (what a screen reader is given), the
// page's `lang` matching the language on screen; and a screenshot kept as a
// test artifact in test-artifacts/screens/<orientation>/<name>.png.

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screens');

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | null = null;

/** Roles a person operates; each must carry an accessible name. */
const CONTROL_ROLES = new Set(['button', 'link', 'textbox', 'searchbox', 'checkbox', 'radio', 'combobox', 'listbox', 'option', 'switch', 'slider', 'spinbutton', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab']);

interface AxeResultNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeResultNode[];
}

/** Runs axe-core in the page; throws with every violation listed. */
export async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  const injected = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  // Evaluated through the DevTools protocol, not added as a <script>: the
  // renderer's CSP (script-src 'self') rightly refuses inline scripts, and the
  // scan must see the page with that CSP in force.
  if (!injected) await page.evaluate((source) => (0, eval)(source), (axeSource ??= readFileSync(AXE_PATH, 'utf8')));
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, [...AXE_TAGS]);
  if (violations.length > 0) {
    const lines = violations.flatMap((v) => [`  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}`, ...v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`)]);
    throw new Error(`axe-core found ${violations.length} violation(s) on ${where}:\n${lines.join('\n')}`);
  }
}

interface AXNode {
  ignored: boolean;
  role?: { value?: string };
  name?: { value?: string };
}

/** Every control in Chromium's accessibility tree, with its accessible name (empty when it has none). */
export async function controlsInAccessibilityTree(page: Page): Promise<{ role: string; name: string }[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] };
    return nodes
      .filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value ?? ''))
      .map((n) => ({ role: n.role!.value!, name: (n.name?.value ?? '').trim() }));
  } finally {
    await cdp.detach();
  }
}

export async function expectEveryControlNamed(page: Page, where: string): Promise<void> {
  const controls = await controlsInAccessibilityTree(page);
  // every screen has at least the language switch: none found means the tree was not read, not that all is well
  if (controls.length === 0) throw new Error(`no controls at all in the accessibility tree of ${where}`);
  const unnamed = controls.filter((c) => c.name === '');
  if (unnamed.length > 0) throw new Error(`${unnamed.length} control(s) without an accessible name on ${where}: ${unnamed.map((c) => c.role).join(', ')}`);
}

export async function screenshot(page: Page, orientation: Orientation, name: string): Promise<string> {
  const dir = join(SCREENSHOT_DIR, orientation);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export const LANGUAGE_TAGS = { es: 'es-US', en: 'en-US', pt: 'pt-BR' } as const;

export interface ScreenVisit {
  name: string;
  screen: string;
  controls: number;
}

/**
 * The screen showing now, checked in both orientations (the page is left in
 * the orientation it came in): lang, control names, axe, screenshot.
 */
export async function checkScreen(page: Page, opts: { name: string; language: keyof typeof LANGUAGE_TAGS }): Promise<ScreenVisit> {
  const before = page.viewportSize();
  const screen = (await page.locator('[data-screen]').first().getAttribute('data-screen')) ?? '(none)';
  const where = `${opts.name} (data-screen="${screen}")`;
  const lang = await page.evaluate(() => document.documentElement.lang);
  if (lang !== LANGUAGE_TAGS[opts.language]) throw new Error(`${where}: <html lang="${lang}">, expected "${LANGUAGE_TAGS[opts.language]}"`);
  let controls = 0;
  for (const orientation of ORIENTATIONS) {
    await page.setViewportSize(VIEWPORTS[orientation]);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    await expectEveryControlNamed(page, `${where}, ${orientation}`);
    await expectNoAxeViolations(page, `${where}, ${orientation}`);
    controls = (await controlsInAccessibilityTree(page)).length;
    await screenshot(page, orientation, opts.name);
  }
  if (before) await page.setViewportSize(before);
  return { name: opts.name, screen, controls };
}
