import i18next, { type i18n } from 'i18next';
import type { Language } from '../../../src/shared/kiosk-api';
import { en, type MessageCatalog } from './locales/en';
import { es } from './locales/es';
import { pt } from './locales/pt';

// i18next with flat keys: the machines' message keys contain dots
// ('payment.uncertain.try_again'), so dots are not nesting here.

export const CATALOGS: Readonly<Record<Language, MessageCatalog>> = { en, es, pt };

/** BCP 47 tags for the `lang` attribute and for Intl. */
export const LANGUAGE_TAGS: Readonly<Record<Language, string>> = { es: 'es-US', en: 'en-US', pt: 'pt-BR' };

export function createI18n(language: Language, opts: { onMissingKey?: (key: string) => void } = {}): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    resources: Object.fromEntries(Object.entries(CATALOGS).map(([lng, catalog]) => [lng, { translation: catalog }])),
    lng: language,
    fallbackLng: false,
    keySeparator: false,
    nsSeparator: false,
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    saveMissing: opts.onMissingKey !== undefined,
    missingKeyHandler: opts.onMissingKey ? (_lngs, _ns, key) => opts.onMissingKey!(key) : false,
  });
  return instance;
}
