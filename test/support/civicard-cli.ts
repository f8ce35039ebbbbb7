import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `civicard …` as a real process (bin/civicard.js under this Node), for the
// command-line tests: its exit code and output, whether it succeeded or not.

const run = promisify(execFile);

/** The command-line entry point of this checkout. */
export const CIVICARD_CLI = join(process.cwd(), 'bin/civicard.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCivicard(args: readonly string[], opts: { timeout_ms?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CIVICARD_CLI, ...args], opts.timeout_ms === undefined ? {} : { timeout: opts.timeout_ms });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
