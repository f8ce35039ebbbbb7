import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { espeakSpeaker } from '../../../src/electron/speech';

// espeak-ng gets the text on stdin (never as an argument a leading "-" could
// turn into an option), the voice of the language, and one utterance at a time.

class FakeChild extends EventEmitter {
  written = '';
  killed = false;
  readonly stdin = { end: (text: string) => void (this.written = text) };
  kill(): boolean {
    this.killed = true;
    this.emit('close', null);
    return true;
  }
}

function speakerWithFakes() {
  const runs: { command: string; args: readonly string[]; child: FakeChild }[] = [];
  const speaker = espeakSpeaker({
    spawn: (command, args) => {
      const child = new FakeChild();
      runs.push({ command, args, child });
      return child as never;
    },
  });
  return { speaker, runs };
}

describe('spoken guidance', () => {
  it('runs espeak-ng with the language voice and the text on stdin', async () => {
    const { speaker, runs } = speakerWithFakes();
    const done = speaker.speak('--help me', 'pt');
    expect(runs[0]!.command).toBe('espeak-ng');
    expect(runs[0]!.args).toEqual(['-v', 'pt-br', '--stdin']);
    expect(runs[0]!.child.written).toBe('--help me');
    runs[0]!.child.emit('close', 0);
    await done;
  });

  it('cuts the utterance still speaking when a new one starts', async () => {
    const { speaker, runs } = speakerWithFakes();
    const first = speaker.speak('Acerque su tarjeta', 'es');
    const second = speaker.speak('Hold your card', 'en');
    expect(runs[0]!.child.killed).toBe(true);
    await first;
    runs[1]!.child.emit('close', 0);
    await second;
    expect(runs[1]!.args).toEqual(['-v', 'en-us', '--stdin']);
  });

  it('fails (answered as { error } by IPC) when espeak-ng is missing', async () => {
    const { speaker, runs } = speakerWithFakes();
    const p = speaker.speak('hola', 'es');
    runs[0]!.child.emit('error', new Error('spawn espeak-ng ENOENT'));
    await expect(p).rejects.toThrow(/ENOENT/);
  });
});
