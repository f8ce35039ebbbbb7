// Spoken guidance: the UI asks the core to say a sentence it has already put
// on screen, in the screen's language. Checked here because it comes from
// outside the core and ends up as a process argument.
import { LANGUAGES, type Language } from './kiosk-api';

export interface SpeakRequest {
  text: string;
  language: Language;
}

export const MAX_SPOKEN_CHARS = 600;
/** Any control character (C0, DEL, C1): speech needs none, and they could drive the synthesiser's own markup. */
const CONTROL = /\p{Cc}/u;

export type SpeakCheck = { ok: true; request: SpeakRequest } | { ok: false; error: string };

export function checkSpeakRequest(input: unknown): SpeakCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a speak request is a JSON object' };
  const r = input as Record<string, unknown>;
  if (!LANGUAGES.includes(r.language as Language)) return { ok: false, error: `"language" must be one of ${LANGUAGES.join(', ')}` };
  if (typeof r.text !== 'string' || r.text.trim() === '' || r.text.length > MAX_SPOKEN_CHARS || CONTROL.test(r.text)) {
    return { ok: false, error: `"text" must be 1-${MAX_SPOKEN_CHARS} characters without control characters` };
  }
  return { ok: true, request: { text: r.text.trim(), language: r.language as Language } };
}
