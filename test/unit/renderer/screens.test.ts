// Every screen renders in every language (react-dom/server, no browser):
// its data-screen root, the `lang` of the page, a name on every button, no
// untranslated key, the timeout dialog and the live region, and nothing about
// the resident beyond the masked serial — the patron's name only where chosen.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AttendantApp, ResidentApp } from '../../../renderer/src/app/apps';
import { createI18n, LANGUAGE_TAGS } from '../../../renderer/src/i18n';
import { ATTENDANT_SCREENS, RESIDENT_SCREENS } from '../../../renderer/src/screens/registry';
import type { AttendantView, ResidentView } from '../../../renderer/src/api/views';
import type { Language } from '../../../src/shared/kiosk-api';
import { attendantView, MAINTENANCE, MASKED_SERIAL, PATRON_NAME, residentView, TX_ID } from './sample-views';

const LANGUAGES: Language[] = ['es', 'en', 'pt'];

function render(kind: 'resident' | 'attendant', view: ResidentView | AttendantView): { html: string; missing: string[] } {
  const missing: string[] = [];
  const i18n = createI18n(view.language, { onMissingKey: (k) => missing.push(k) });
  const speech = { on: false, toggle: () => {}, speak: () => {} };
  const html =
    kind === 'resident'
      ? renderToString(createElement(ResidentApp, { view: view as ResidentView, send: () => {}, i18n, speech }))
      : renderToString(createElement(AttendantApp, { view: view as AttendantView, send: () => {}, i18n, speech }));
  return { html, missing };
}

const decode = (s: string) => s.replace(/<!-- -->/g, '').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const text = (html: string) => decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();

/** Buttons without an accessible name: no aria-label and no text inside. */
function unnamedButtons(html: string): string[] {
  return [...html.matchAll(/<button([^>]*)>([\s\S]*?)<\/button>/g)].filter(([, attrs, inner]) => !/aria-label="[^"]+"/.test(attrs!) && text(inner!) === '').map(([b]) => b);
}

function expectAccessible(html: string, missing: string[], language: Language) {
  expect(missing, 'untranslated keys').toEqual([]);
  expect(html).toContain(`lang="${LANGUAGE_TAGS[language]}"`);
  expect(unnamedButtons(html)).toEqual([]);
  expect(html).toMatch(/role="status" aria-live="polite"/);
  expect(html).toMatch(/<h1 id="[^"]+" class="screen-title">[^<]+<\/h1>/);
  for (const lng of LANGUAGES) expect(html).toContain(`data-testid="language-${lng}"`);
}

describe('resident screens', () => {
  for (const [state, entry] of Object.entries(RESIDENT_SCREENS)) {
    it(`${state} → ${entry.id}, in es, en and pt`, () => {
      for (const language of LANGUAGES) {
        const { html, missing } = render('resident', residentView(state, language));
        expect(html).toContain(`data-screen="${entry.id}"`);
        expect(html).toContain(`data-state="${state}"`);
        expectAccessible(html, missing, language);
        if (entry.id !== 'choosing') expect(html).not.toContain(PATRON_NAME);
      }
    });
  }

  it('shows the patron name on the library choosing screen only, with totals of what is ticked', () => {
    const { html } = render('resident', residentView('session.choosing', 'en'));
    expect(text(html)).toContain(`Account: ${PATRON_NAME}`);
    expect(text(html)).toContain('Total: $12.75');
    expect(html).toMatch(/role="checkbox" aria-checked="true" data-testid="option-f1"/);
  });

  it('on the balance screen shows the masked serial, balance and expiry in the language, never more of the card', () => {
    const { html } = render('resident', residentView('session.balanceShown', 'pt'));
    const t = text(html);
    expect(t).toContain(`Cartão ${MASKED_SERIAL}`);
    expect(t).toMatch(/US\$\s42,50/);
    expect(t).toContain('30 de junho de 2028');
  });

  it('announces a notice with its transaction number in the live region', () => {
    const { html } = render('resident', residentView('payment.noReceipt', 'es', { notice: { key: 'receipt.unavailable', tx_id: TX_ID } }));
    const region = /<div class="notice" role="status"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
    expect(text(region)).toContain('no se pudo imprimir el recibo');
    expect(text(region)).toContain(`Número de transacción: ${TX_ID}`);
  });

  it('translates every message key the machines can show (each rendered as a notice)', async () => {
    const { MESSAGE_KEYS } = await import('../../../src/kiosk/machines/messages');
    for (const language of LANGUAGES) {
      for (const key of MESSAGE_KEYS) {
        const { html, missing } = render('resident', residentView('session.refused', language, { notice: { key, tx_id: null } }));
        expect(missing).toEqual([]);
        expect(text(html)).not.toContain(key);
      }
    }
  });

  it('the patron PIN screen takes letters too (library passwords), masked, with a case toggle: PINs are case-sensitive', () => {
    const { html } = render('resident', residentView('session.patronPin', 'en'));
    for (const k of ['Q', 'Z', '7']) expect(html).toContain(`data-testid="pin-key-${k}"`);
    expect(html).toMatch(/data-testid="pin-shift"[^>]*aria-pressed="true"|aria-pressed="true"[^>]*data-testid="pin-shift"/);
    expect(html).not.toMatch(/value="/);
    expect(html).toContain('data-testid="pin-field"');
  });

  it('warns before a timeout with an "I need more time" button', () => {
    const { html } = render('resident', residentView('session.balanceShown', 'en', { timeout_warning: true }));
    expect(html).toMatch(/role="alertdialog" aria-modal="true"/);
    expect(text(html)).toContain('I need more time');
    expect(html).toContain('data-testid="timeout-more"');
    expect(render('resident', residentView('session.balanceShown', 'en')).html).not.toContain('alertdialog');
  });

  it('shows the maintenance screen, with devices, sync, limits, versions and self-test, when a staff card opened it', () => {
    for (const language of LANGUAGES) {
      const { html, missing } = render('resident', residentView('idle', language, { maintenance: MAINTENANCE }));
      expect(html).toContain('data-screen="maintenance"');
      expectAccessible(html, missing, language);
      for (const id of ['devices', 'sync', 'limits', 'versions', 'self-test', 'run-self-test', 'sync-now', 'exit-maintenance']) expect(html).toContain(`data-testid="${id}"`);
    }
    const t = text(render('resident', residentView('idle', 'en', { maintenance: MAINTENANCE })).html);
    expect(t).toContain('Entries waiting: 12');
    expect(t).toContain('Oldest waiting: 3 hours');
    expect(t).toContain('Largest offline payment: $50.00');
    expect(t).toMatch(/Receipt printer\s*:\s*Fault\s*—\s*Out of paper/);
    expect(t).toContain('Card keys: unknown');
  });

  it('a state it does not know yet shows "one moment", not a crash', () => {
    const { html, missing } = render('resident', residentView('session.somethingNew', 'en'));
    expect(html).toContain('data-screen="working"');
    expect(missing).toEqual([]);
  });
});

describe('attendant screens', () => {
  for (const [state, entry] of Object.entries(ATTENDANT_SCREENS)) {
    it(`${state} → ${entry.id}, in es, en and pt`, () => {
      for (const language of LANGUAGES) {
        const { html, missing } = render('attendant', attendantView(state, language, state.endsWith('Refused') ? { notice: { key: 'staff.card_refused', tx_id: null } } : {}));
        expect(html).toContain(`data-screen="${entry.id}"`);
        expect(html).toContain(`data-state="${state}"`);
        expectAccessible(html, missing, language);
      }
    });
  }

  it('never shows a PIN: the field shows dots and no value attribute exists', () => {
    const { html } = render('attendant', attendantView('signedOut.enteringPin', 'en'));
    expect(html).toContain('data-testid="pin-field"');
    expect(html).not.toMatch(/value="/);
  });

  it('the staff PIN screens stay digits only', () => {
    for (const state of ['signedOut.enteringPin', 'signedIn.void.enteringSupervisorPin']) {
      const { html } = render('attendant', attendantView(state, 'en'));
      expect(html).toContain('data-testid="pin-key-7"');
      expect(html).not.toContain('data-testid="pin-key-Q"');
      expect(html).not.toContain('data-testid="pin-shift"');
    }
  });

  it('shows over/short after the blind count', () => {
    expect(text(render('attendant', attendantView('signedIn.shiftSummary', 'es')).html)).toContain('Faltan $0.50');
  });
});

describe('spoken guidance', () => {
  it('says the screen title, its body and the notice, in the screen language', async () => {
    const { spokenOf, spokenText } = await import('../../../renderer/src/app/apps');
    const keys = spokenOf(RESIDENT_SCREENS['session.waitingForCard']!, { key: 'card.removed' });
    expect(keys).toEqual(['present_card.title', 'present_card.body', 'card.removed']);
    const es = createI18n('es');
    expect(spokenText(keys, (k) => es.t(k))).toBe('Acerque su tarjeta al lector. Manténgala ahí hasta que cambie la pantalla. Se retiró la tarjeta. Vuelva a acercarla al lector para continuar.');
  });
});
