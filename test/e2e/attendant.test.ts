import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PINS } from '../../src/kiosk/demo/sim-attendant';
import type { AttendantView } from '../../src/shared/attendant-api';
import type { Language } from '../../src/shared/kiosk-api';
import { launchChromium, type Chromium } from '../support/chromium';
import { kioskClient, startE2eKiosk, type E2eKiosk } from '../support/e2e-kiosk';
import { checkScreen } from '../support/screen-check';

// The parking attendant's booth in real Chromium, through the web shell's
// attendant page (/api/attendant): staff card and PIN, a shift opened with a
// float, a resident's card topped up at the booth's reader (pcscd + vpcd, the
// second virtual reader), and the shift closed with a blind count. Every
// screen checked (axe-core, named controls, lang) and screenshotted both ways.

let kiosk: E2eKiosk;
let chromium: Chromium;
let page: Page;
let client: ReturnType<typeof kioskClient>;

beforeAll(async () => {
  kiosk = await startE2eKiosk({ attendant: true });
  client = kioskClient(kiosk);
  chromium = await launchChromium();
  page = await chromium.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(kiosk.attendantUrl);
  await at('signedOut.waitingForStaffCard');
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await chromium?.close();
  await kiosk?.stop();
});

const boothState = async () => (await kiosk.api('/api/attendant/state')).body as AttendantView;

async function at(state: string, timeout = 15_000): Promise<void> {
  try {
    await page.locator(`[data-state="${state}"]`).waitFor({ timeout });
  } catch {
    const shown = await page.locator('[data-state]').first().getAttribute('data-state');
    throw new Error(`expected the screen for ${state}; the page shows ${shown}, the booth is at ${(await boothState()).screen}`);
  }
}

const press = (testId: string) => page.getByTestId(testId).click();

async function type(keypad: string, text: string): Promise<void> {
  for (const ch of text) await press(`${keypad}-key-${ch}`);
}

async function check(name: string): Promise<void> {
  await checkScreen(page, { name: `booth-${name}`, language: (await boothState()).language as Language });
}

describe('the attendant booth, in Chromium', () => {
  it('signs in, opens a shift, tops up a resident card, and closes the shift with a blind count that balances', async () => {
    await check('01-staff-card');
    await client.tap('staff', 'booth');
    await at('signedOut.enteringPin');
    await client.pull('booth');
    await check('02-pin');
    await type('pin', DEMO_PINS.attendant);
    expect(await page.getByTestId('pin-field').innerText()).toBe('••••');
    await press('submit-pin');
    await at('signedIn.shiftClosed');
    await check('03-open-shift');
    await type('float', '5000');
    await press('open-shift');
    await at('signedIn.menu');
    await check('04-menu');

    await press('top-up');
    await at('signedIn.topUp.waitingForCard');
    await check('05-present-card');
    await client.tap('RES', 'booth');
    await at('signedIn.topUp.enteringAmount');
    const before = (await boothState()).card!.balance_minor;
    await type('amount', '1000');
    await check('06-amount');
    await press('amount-next');
    await at('signedIn.topUp.confirming');
    await check('07-confirm');
    await press('confirm');
    await at('signedIn.cardTxn.done');
    await check('08-done');
    await client.pull('booth');
    await press('ok');
    await at('signedIn.menu');
    expect(client.boothMoney()).toEqual([expect.objectContaining({ direction: 'credit', amount_minor: 1_000 })]);

    // The resident's card carries the money: the kiosk reads it back.
    await client.command({ type: 'TOUCH' });
    await client.tap('RES');
    await expect.poll(async () => (await client.state()).card?.balance_minor, { timeout: 10_000 }).toBe(before + 1_000);
    await client.pull();
    await client.command({ type: 'CANCEL' });

    await press('close-shift');
    await at('signedIn.countingCash');
    await check('09-count-cash');
    await type('count', '6000');
    await press('count-submit');
    await at('signedIn.shiftSummary');
    await check('10-summary');
    expect((await boothState()).close).toEqual({ expected_minor: 6_000, counted_minor: 6_000, over_short_minor: 0 });
    const kinds = kiosk.shell.attendant!.ledger.db.prepare('SELECT kind FROM entries ORDER BY seq').pluck().all() as string[];
    expect(kinds.filter((k) => k.startsWith('shift_'))).toEqual(['shift_opened', 'shift_closed']);
  });
});
