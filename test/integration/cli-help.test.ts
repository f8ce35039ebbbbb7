import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('civicard --help', () => {
  it('lists every subcommand, nested ones included, each with one line of help', async () => {
    const { stdout } = await run(process.execPath, [join(process.cwd(), 'bin/civicard.js'), '--help']);
    const listed = stdout.split('Every command:')[1] ?? '';
    for (const command of ['card issue', 'card info', 'card demo', 'keys generate', 'selftest', 'sim card']) {
      expect(listed).toMatch(new RegExp(`^  ${command} +\\S.*$`, 'm'));
    }
  });
});
