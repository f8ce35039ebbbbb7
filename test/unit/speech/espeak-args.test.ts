// The espeak-ng command line: one voice per UI language, and the text never
// in the arguments (it goes on stdin), so nothing typed can become an option.
import { describe, expect, it } from 'vitest';
import { ESPEAK_VOICES, espeakArgs, synthesizeSpeech } from '../../../src/kiosk/runtime/speech';

describe('espeakArgs', () => {
  it('picks es, en-us and pt-br voices and reads the text from stdin', () => {
    expect(espeakArgs('es', 'wav')).toEqual(['-v', 'es', '-s', '150', '--stdin', '--stdout']);
    expect(espeakArgs('en', 'play')).toEqual(['-v', 'en-us', '-s', '150', '--stdin']);
    expect(espeakArgs('pt', 'wav')[1]).toBe('pt-br');
    expect(Object.keys(ESPEAK_VOICES).sort()).toEqual(['en', 'es', 'pt']);
  });

  it('refuses a request the contract refuses before starting any process', async () => {
    await expect(synthesizeSpeech({ text: '--help', language: 'fr' as 'en' }, { command: '/nonexistent/espeak' })).rejects.toThrow(/language/);
  });

  it('names the fix when espeak-ng is missing', async () => {
    await expect(synthesizeSpeech({ text: 'hello', language: 'en' }, { command: '/nonexistent/espeak-ng' })).rejects.toThrow('install espeak-ng (bash scripts/setup.sh)');
  });
});
