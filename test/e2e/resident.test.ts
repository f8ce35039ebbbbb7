import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../renderer/src/i18n/locales/en';
import { es } from '../../renderer/src/i18n/locales/es';
import { pt } from '../../renderer/src/i18n/locales/pt';
import { loadCitationsFile, loadTariffsFile } from '../../src/kiosk/config/service-config';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator } from '../../src/library/ils-simulator';
import type { Language } from '../../src/shared/kiosk-api';
import { launchChromium, type Chromium } from '../support/chromium';
import { kioskClient, startE2eKiosk, type E2eKiosk } from '../support/e2e-kiosk';
import { checkScreen } from '../support/screen-check';

// Residents at the kiosk, in real Chromium, touching the screen: the web
// shell (the renderer and the kiosk core's API on one loopback origin), cards tapped through real
// pcscd + vpcd, receipts on the printer simulator, library fines at the ILS
// simulator over TCP, parking priced from the sample tariff file. Every screen
// on the way is checked (axe-core, a name on every control, lang) and kept as
// a screenshot in both orientations (test-artifacts/screens/).

const PATRON = { id: '29000000000001', pin: '1234', name: 'Sample Patron One', address: '1 Sample Street' }; // fines 3.50 + 1.75
const BIG_CITATION = '4000123036'; // 75.00, more than a new card's 20.00
const SMALL_CITATION = '4000123051'; // 12.50

let ils: IlsSimulator;
let kiosk: E2eKiosk;
let chromium: Chromium;
let page: Page;
let client: ReturnType<typeof kioskClient>;

beforeAll(async () => {
  ils = new IlsSimulator({ data: loadIlsData(join(process.cwd(), 'test/fixtures/ils/library.json')), profile: 'evergreen-3m', require_pin: true });
  const { port } = await ils.start(0, '127.0.0.1');
  kiosk = await startE2eKiosk({
    services: {
      library: { host: '127.0.0.1', port, institution_id: 'CIVICLIB', profile: 'evergreen-3m', login: { user_id: 'kiosk', password: 'kiosk-pass' } },
      tariffs: loadTariffsFile(join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json'), 'USD'),
      citations: loadCitationsFile(join(process.cwd(), 'test/fixtures/citations/downtown.json'), 'USD'),
    },
  });
  client = kioskClient(kiosk);
  chromium = await launchChromium();
  page = await chromium.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(kiosk.url);
  await at('idle');
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await chromium?.close();
  await kiosk?.stop();
  await ils?.stop();
});

// A test that failed half-way leaves the kiosk where it was: the next one starts at the attract screen again.
afterEach(async () => {
  await client.pull().catch(() => {});
  for (let i = 0; i < 5 && (await client.state()).screen !== 'idle'; i++) {
    const { screen } = await client.state();
    await client.command({ type: screen.startsWith('payment.') ? (screen.includes('uncertain') ? 'ACK' : 'FINISH') : 'CANCEL' }).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
  }
});

/** Waits for the screen of machine state `state`. */
async function at(state: string, timeout = 15_000): Promise<void> {
  try {
    await page.locator(`[data-state="${state}"]`).waitFor({ timeout });
  } catch {
    const view = await client.state();
    const shown = await page.locator('[data-state]').first().getAttribute('data-state');
    throw new Error(`expected the screen for ${state}; the page shows ${shown}, the kiosk is at ${view.screen} (notice ${JSON.stringify(view.notice)})`);
  }
}

const press = (testId: string) => page.getByTestId(testId).click();

async function type(keypad: string, text: string): Promise<void> {
  for (const ch of text) await press(`${keypad}-key-${ch}`);
}

const title = () => page.locator('h1.screen-title').innerText();

/** A resident walks up, picks the language and taps card `card`: the balance screen. */
async function startVisit(flow: string, language: Language, card: string): Promise<void> {
  await at('idle');
  await checkScreen(page, { name: `${flow}-01-attract`, language: (await client.state()).language });
  // any touch on the attract screen wakes the kiosk: picking the language is enough
  await press(`language-${language}`);
  await at('session.waitingForCard');
  await checkScreen(page, { name: `${flow}-02-present-card`, language });
  await client.tap(card);
  await at('session.balanceShown');
  await checkScreen(page, { name: `${flow}-03-balance`, language });
}

async function endVisit(): Promise<void> {
  await client.pull();
  const { screen } = await client.state();
  if (screen !== 'idle') await press(screen.startsWith('payment.') ? 'finish' : 'cancel');
  await at('idle');
}

const debitsOf = (tx_id: string) => client.money().filter((m) => m.tx_id === tx_id && m.direction === 'debit');

describe('a resident at the kiosk, in Chromium', () => {
  it('pays library fines in Spanish: card number, PIN, the fines chosen, a receipt with the amount and nothing about the patron', async () => {
    const language = 'es';
    await startVisit('es-library', language, 'ES');
    await press('pay-service');
    await at('session.chooseService');
    await checkScreen(page, { name: 'es-library-04-choose-service', language });
    await press('service-library_fine');
    await type('reference', PATRON.id);
    await press('look-up');
    await at('session.patronPin');
    expect(await title()).toBe(es['patron_pin.title']);
    await checkScreen(page, { name: 'es-library-05-patron-pin', language });
    await type('pin', PATRON.pin);
    expect(await page.getByTestId('pin-field').innerText()).toBe('••••');
    await press('submit-pin');
    await at('session.choosing');
    await checkScreen(page, { name: 'es-library-06-choosing', language });
    expect(await page.getByRole('checkbox').count()).toBe(2);
    await press('choose');
    await at('session.confirming');
    await checkScreen(page, { name: 'es-library-07-confirm', language });
    expect(await page.getByTestId('confirm').innerText()).toBe('Pagar $5.25');
    await press('confirm');
    await at('payment.done');
    expect(await title()).toBe(es['done.title']);
    await checkScreen(page, { name: 'es-library-08-done', language });
    const { payment } = await client.state();

    expect(ils.feePaidRecords().filter((r) => r.accepted).map((r) => r.amount_minor).reduce((a, b) => a + b, 0)).toBe(525);
    expect(debitsOf(payment!.tx_id)).toEqual([expect.objectContaining({ amount_minor: 525 })]);
    const receipt = client.receipts().at(-1) ?? '';
    expect(receipt).toContain('$5.25');
    for (const personal of [PATRON.id, PATRON.name, PATRON.address, 'Sample Patron']) expect(receipt).not.toContain(personal);
    await endVisit();
  });

  it('pays parking in Portuguese: zone and plate typed, a duration chosen, paid', async () => {
    const language = 'pt';
    await startVisit('pt-parking', language, 'PT');
    await press('pay-service');
    await at('session.chooseService');
    await press('service-parking-plate');
    await type('zone', '101');
    await type('reference', 'ABC123');
    await checkScreen(page, { name: 'pt-parking-04-choose-service', language });
    await press('look-up');
    await at('session.choosing');
    await checkScreen(page, { name: 'pt-parking-05-durations', language });
    const durations = page.getByRole('radio');
    expect(await durations.count()).toBeGreaterThan(0);
    await durations.first().click();
    await expect.poll(() => durations.first().getAttribute('aria-checked')).toBe('true');
    await press('choose');
    await at('session.confirming');
    await checkScreen(page, { name: 'pt-parking-06-confirm', language });
    const { quote } = await client.state();
    expect(quote).toMatchObject({ kind: 'parking' });
    await press('confirm');
    await at('payment.done');
    expect(await title()).toBe(pt['done.title']);
    await checkScreen(page, { name: 'pt-parking-07-done', language });
    const { payment } = await client.state();
    expect(debitsOf(payment!.tx_id)).toEqual([expect.objectContaining({ amount_minor: quote!.amount_minor })]);
    await endVisit();
  });

  it('refuses a payment larger than the balance, says so in the language, and moves no money', async () => {
    const language = 'es';
    const before = client.money().length;
    await startVisit('es-insufficient', language, 'POOR');
    const balance = (await client.state()).card!.balance_minor;
    await press('pay-service');
    await at('session.chooseService');
    await press('service-citation');
    await type('reference', BIG_CITATION);
    await press('look-up');
    await at('session.confirming');
    await press('confirm');
    await at('session.insufficientFunds');
    expect(await title()).toBe(es['insufficient.title']);
    await checkScreen(page, { name: 'es-insufficient-04-insufficient', language });
    expect((await client.state()).card!.balance_minor).toBe(balance);
    expect(client.money().length).toBe(before);
    await endVisit();
  });

  it('a card pulled as it commits: the screen asks for the same card; tapped again, the payment settles with exactly one debit', async () => {
    const language = 'en';
    kiosk.tearAtNextCommit(); // armed as the card is tapped: its first commit is torn
    await startVisit('en-pulled', language, 'PULL');
    const balance = (await client.state()).card!.balance_minor;
    await press('pay-service');
    await at('session.chooseService');
    await press('service-citation');
    await type('reference', SMALL_CITATION);
    await press('look-up');
    await at('session.confirming');
    await press('confirm');
    await at('payment.uncertain.waitingForSameCard');
    expect(await title()).toBe(en['uncertain.title']);
    await checkScreen(page, { name: 'en-pulled-05-tap-again', language });
    const { payment } = await client.state();
    await client.pull();
    await client.tap('PULL');
    await at('payment.done');
    await checkScreen(page, { name: 'en-pulled-06-done', language });
    expect(debitsOf(payment!.tx_id)).toEqual([expect.objectContaining({ amount_minor: 1_250 })]);
    await endVisit();
    await press('start');
    await at('session.waitingForCard');
    await client.tap('PULL');
    await at('session.balanceShown');
    expect((await client.state()).card!.balance_minor).toBe(balance - 1_250);
    await client.pull();
    await press('cancel');
    await at('idle');
  });
});
