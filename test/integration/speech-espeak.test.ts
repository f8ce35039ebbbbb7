// Spoken guidance on the real espeak-ng: each of the three voices turns a
// sentence into WAV bytes.
import { describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../../src/kiosk/runtime/speech';

const SENTENCES = {
  es: 'Acerque su tarjeta al lector.',
  en: 'Hold your card on the reader.',
  pt: 'Aproxime o seu cartão do leitor.',
} as const;

describe('espeak-ng', () => {
  for (const [language, text] of Object.entries(SENTENCES) as [keyof typeof SENTENCES, string][]) {
    it(`speaks ${language} as WAV`, async () => {
      const wav = await synthesizeSpeech({ text, language });
      expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
      expect(wav.length).toBeGreaterThan(10_000); // a second or so of 22 kHz audio, not an empty header
    });
  }
});
