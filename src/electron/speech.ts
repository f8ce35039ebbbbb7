import { spawn, type ChildProcess } from 'node:child_process';
import type { Language } from '../shared/kiosk-api';
import type { Speaker } from './ipc';

// Spoken guidance through espeak-ng (a package dependency of the kiosk). The
// text goes on stdin, never on the command line, and one utterance at a time:
// a new one cuts the one still speaking, as a person would.

export const ESPEAK_VOICES: Readonly<Record<Language, string>> = { es: 'es', en: 'en-us', pt: 'pt-br' };

type Spawn = (command: string, args: readonly string[]) => Pick<ChildProcess, 'stdin' | 'on' | 'kill'>;

export function espeakSpeaker(opts: { command?: string; spawn?: Spawn } = {}): Speaker {
  const run: Spawn = opts.spawn ?? ((command, args) => spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] }));
  let speaking: Pick<ChildProcess, 'kill'> | null = null;
  return {
    speak(text, language) {
      speaking?.kill();
      const child = run(opts.command ?? 'espeak-ng', ['-v', ESPEAK_VOICES[language], '--stdin']);
      speaking = child;
      return new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', () => {
          if (speaking === child) speaking = null;
          resolve();
        });
        child.stdin?.end(text, 'utf8');
      });
    },
  };
}
