import { spawn, type ChildProcess } from 'node:child_process';
import { checkSpeakRequest, type SpeakRequest } from '../../shared/speech-api';
import type { Language } from '../../shared/kiosk-api';

// Spoken guidance for the touch UI, with Debian's espeak-ng. The text goes in
// on stdin, never as an argument, so nothing the UI sends can become an option.
// A new sentence cuts the one still playing: guidance follows the screen.

export const ESPEAK_VOICES: Readonly<Record<Language, string>> = { es: 'es', en: 'en-us', pt: 'pt-br' };
/** Words per minute: a little slower than espeak-ng's 175 for a public kiosk. */
export const SPEECH_RATE_WPM = 150;
const MISSING = 'espeak-ng is not installed: install espeak-ng (bash scripts/setup.sh)';

/** The argument list: voice, rate, text on stdin, and WAV bytes on stdout or played on the sound card. */
export function espeakArgs(language: Language, output: 'wav' | 'play'): string[] {
  return ['-v', ESPEAK_VOICES[language], '-s', String(SPEECH_RATE_WPM), '--stdin', ...(output === 'wav' ? ['--stdout'] : [])];
}

function run(command: string, request: SpeakRequest, output: 'wav' | 'play', onChild: (c: ChildProcess) => void = () => {}): Promise<Buffer> {
  const checked = checkSpeakRequest(request);
  if (!checked.ok) return Promise.reject(new Error(checked.error));
  return new Promise((resolve, reject) => {
    const child = spawn(command, espeakArgs(checked.request.language, output), { stdio: ['pipe', 'pipe', 'pipe'] });
    onChild(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error(MISSING) : e));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`espeak-ng ended with ${signal ?? `code ${code}`}: ${Buffer.concat(err).toString('utf8').trim().slice(0, 200)}`));
    });
    child.stdin.on('error', () => {}); // a killed child closes its stdin; the close handler reports
    child.stdin.end(checked.request.text, 'utf8');
  });
}

/** The sentence as WAV bytes (RIFF), for a UI that plays audio itself or a test. */
export function synthesizeSpeech(request: SpeakRequest, opts: { command?: string } = {}): Promise<Buffer> {
  return run(opts.command ?? 'espeak-ng', request, 'wav');
}

export interface Speaker {
  /** Says the sentence on the kiosk's sound card, cutting the one still playing. */
  say(request: SpeakRequest): Promise<void>;
  stop(): void;
}

export function createSpeaker(opts: { command?: string } = {}): Speaker {
  let playing: ChildProcess | null = null;
  const stop = () => {
    if (playing && playing.exitCode === null) playing.kill('SIGTERM');
    playing = null;
  };
  return {
    say: async (request) => {
      stop();
      await run(opts.command ?? 'espeak-ng', request, 'play', (c) => (playing = c)).catch((e: Error) => {
        if (!/SIGTERM/.test(e.message)) throw e; // cut short by the next sentence: not an error
      });
    },
    stop,
  };
}
