import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ATTENDANT_SCREENS, RESIDENT_SCREENS } from '../../renderer/src/screens/registry';
import type { Language } from '../../src/shared/kiosk-api';
import { launchChromium, type Chromium } from '../support/chromium';
import { ensureRendererBuilt, RENDERER_ORIGIN, serveRendererDist } from '../support/renderer-page';
import { checkScreen, expectEveryControlNamed, expectNoAxeViolations } from '../support/screen-check';
import { attendantView, MAINTENANCE, residentView } from '../unit/renderer/sample-views';

// Every screen in renderer/src/screens/registry.ts, including those the
// scripted flows never reach (locked out, unresolved, service refused…), in
// real Chromium: the built renderer with a stand-in for the Electron bridge
// (`window.civicard`) that shows the sample views the render tests use. Each
// screen: axe-core, a name on every control, lang, screenshots both ways up.

let chromium: Chromium;

beforeAll(async () => {
  ensureRendererBuilt();
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
});

/** One state per screen id: the first the registry maps to it. */
function oneStatePerScreen(registry: Readonly<Record<string, { id: string }>>): [state: string, id: string][] {
  const seen = new Map<string, string>();
  for (const [state, entry] of Object.entries(registry)) if (!seen.has(entry.id)) seen.set(entry.id, state);
  return [...seen].map(([id, state]) => [state, id]);
}

/** The renderer with a bridge whose views the test sets: `window.__gallery.show(view)`. */
async function openGallery(station: 'resident' | 'attendant', first: unknown): Promise<Page> {
  const page = await chromium.newPage();
  await serveRendererDist(page);
  await page.addInitScript(
    ({ station, first }) => {
      let current = first;
      const listeners = new Set<(view: unknown) => void>();
      const commands: unknown[] = [];
      const w = window as unknown as Record<string, unknown>;
      w.civicard = {
        station,
        state: async () => current,
        command: async (command: unknown) => {
          commands.push(command);
          const answer = gallery.nextAnswer;
          if (!answer) return current;
          gallery.nextAnswer = null;
          await new Promise((r) => setTimeout(r, answer.delay_ms));
          return answer.view;
        },
        subscribe: (onView: (view: unknown) => void) => {
          listeners.add(onView);
          onView(current);
          return () => listeners.delete(onView);
        },
      };
      const gallery: { commands: unknown[]; nextAnswer: { view: unknown; delay_ms: number } | null; show(view: unknown): void } = {
        commands,
        // the answer to the next command, late: the view when the core took it
        nextAnswer: null,
        show: (view: unknown) => {
          current = view;
          for (const l of listeners) l(view);
        },
      };
      w.__gallery = gallery;
    },
    { station, first },
  );
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${RENDERER_ORIGIN}/index.html`);
  await page.locator('[data-screen]').first().waitFor();
  expect(errors).toEqual([]);
  return page;
}

async function show(page: Page, view: { screen: string }, screenId: string): Promise<void> {
  await page.evaluate((v) => (window as unknown as { __gallery: { show(v: unknown): void } }).__gallery.show(v), view);
  await page.locator(`[data-screen="${screenId}"][data-state="${view.screen}"]`).waitFor({ timeout: 5_000 });
}

const LANGUAGE: Language = 'es';

describe('the checks themselves', () => {
  it('fail on a control without a name and on low-contrast text, naming what they found', async () => {
    const page = await chromium.newPage();
    await page.setContent('<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><button></button><p style="color:#aaa;background:#fff">faint</p></main></body></html>');
    await expect(expectEveryControlNamed(page, 'bad page')).rejects.toThrow(/1 control\(s\) without an accessible name on bad page: button/);
    await expect(expectNoAxeViolations(page, 'bad page')).rejects.toThrow(/button-name[\s\S]*color-contrast/);
    await page.close();
  });
});

describe('every screen in Chromium: axe-core, named controls, lang, screenshots (portrait and landscape)', () => {
  it('resident screens', async () => {
    const states = oneStatePerScreen(RESIDENT_SCREENS);
    const page = await openGallery('resident', residentView(states[0]![0], LANGUAGE));
    const visited: string[] = [];
    for (const [state, id] of states) {
      const notice = state === 'payment.serviceRefusedNotice' || state === 'payment.noReceipt' ? { notice: { key: 'receipt.unavailable', tx_id: 'tx-01JZ9K2Q' } } : {};
      await show(page, residentView(state, LANGUAGE, notice), id);
      visited.push((await checkScreen(page, { name: `gallery-resident-${id}`, language: LANGUAGE })).screen);
    }
    await show(page, residentView('session.balanceShown', 'en', { timeout_warning: true }), 'balance');
    await page.getByRole('alertdialog').waitFor();
    await checkScreen(page, { name: 'gallery-resident-timeout-warning', language: 'en' });
    await page.evaluate((v) => (window as unknown as { __gallery: { show(v: unknown): void } }).__gallery.show(v), residentView('idle', 'pt', { maintenance: MAINTENANCE }));
    await page.locator('[data-screen="maintenance"]').waitFor();
    await checkScreen(page, { name: 'gallery-resident-maintenance', language: 'pt' });
    expect(new Set(visited)).toEqual(new Set(states.map(([, id]) => id)));
    await page.close();
  });

  it('attendant screens', async () => {
    const states = oneStatePerScreen(ATTENDANT_SCREENS);
    const page = await openGallery('attendant', attendantView(states[0]![0], LANGUAGE));
    for (const [state, id] of states) {
      const notice = id === 'staffNotice' ? { notice: { key: 'staff.card_refused', tx_id: null } } : {};
      await show(page, attendantView(state, LANGUAGE, notice), id);
      await checkScreen(page, { name: `gallery-attendant-${id}`, language: LANGUAGE });
    }
    await page.close();
  });
});

describe('the renderer shows the newest view', () => {
  it("a command's late answer does not replace a newer view the stream already brought", async () => {
    const page = await openGallery('resident', residentView('session.balanceShown', 'en'));
    await page.evaluate((old) => {
      (window as unknown as { __gallery: { nextAnswer: unknown } }).__gallery.nextAnswer = { view: old, delay_ms: 300 };
    }, residentView('session.quoting', 'en'));
    await page.getByTestId('pay-service').click();
    await show(page, residentView('session.confirming', 'en'), 'confirm'); // the stream, before the answer
    await page.waitForTimeout(600);
    expect(await page.locator('[data-screen]').first().getAttribute('data-state')).toBe('session.confirming');
    await page.close();
  });
});
