// English, Spanish and Portuguese (Brazil) are complete: the same keys, every
// machine message key translated, the same {{placeholders}} in each language.
import { describe, expect, it } from 'vitest';
import { MESSAGE_KEYS } from '../../../src/kiosk/machines/messages';
import { CATALOGS } from '../../../renderer/src/i18n';
import { ATTENDANT_SCREENS, RESIDENT_SCREENS } from '../../../renderer/src/screens/registry';

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
const languages = Object.keys(CATALOGS) as (keyof typeof CATALOGS)[];

describe('locales', () => {
  it('are the three the kiosk offers', () => {
    expect(languages.sort()).toEqual(['en', 'es', 'pt']);
  });

  it('every locale has every key of every other, none empty', () => {
    const all = new Set(languages.flatMap((l) => Object.keys(CATALOGS[l])));
    for (const l of languages) {
      const catalog = CATALOGS[l] as Record<string, string>;
      expect([...all].filter((k) => !(k in catalog)), `missing in ${l}`).toEqual([]);
      expect(Object.entries(catalog).filter(([, v]) => v.trim() === '').map(([k]) => k), `empty in ${l}`).toEqual([]);
    }
  });

  it('every message key the machines can show is translated in every locale', () => {
    for (const l of languages) {
      const catalog = CATALOGS[l] as Record<string, string>;
      expect(MESSAGE_KEYS.filter((k) => !(k in catalog)), `message keys missing in ${l}`).toEqual([]);
    }
  });

  it('every screen title and body is a key of the catalogs', () => {
    for (const entry of [...Object.values(RESIDENT_SCREENS), ...Object.values(ATTENDANT_SCREENS)]) {
      for (const key of [entry.title, entry.body].filter((k) => k !== undefined)) expect(CATALOGS.en).toHaveProperty([key!]);
    }
  });

  it('each translation has the same placeholders as the English', () => {
    const mismatched: string[] = [];
    for (const [key, english] of Object.entries(CATALOGS.en)) {
      for (const l of languages) {
        if (placeholders((CATALOGS[l] as Record<string, string>)[key]!).join() !== placeholders(english).join()) mismatched.push(`${l}:${key}`);
      }
    }
    expect(mismatched).toEqual([]);
  });

  it('Spanish and Portuguese are translations, not copies of the English (beyond names and shared words)', () => {
    const SAME_EVERYWHERE = new Set(['lang.es', 'lang.en', 'lang.pt', 'library.fine_item', 'common.ok', 'pin.field', 'patron_pin.field', 'menu.title', 'maintenance.device.network', 'choosing.total']);
    for (const l of ['es', 'pt'] as const) {
      const copies = Object.entries(CATALOGS.en).filter(([k, v]) => !SAME_EVERYWHERE.has(k) && (CATALOGS[l] as Record<string, string>)[k] === v).map(([k]) => k);
      expect(copies, `${l} still in English`).toEqual([]);
    }
  });
});
