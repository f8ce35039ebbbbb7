import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// `civicard kiosk --sim` as a child process on free loopback ports, for the
// integration tests that drive it through its API: started, waited for until
// it prints its addresses, stopped with SIGTERM.

const CLI = join(process.cwd(), 'bin/civicard.js');

function spawnSimKiosk(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'kiosk', '--sim', '--no-pcscd', '--port', '0', '--sim-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface KioskProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly simUrl: string;
  /** The API's session token, from DIR/api-token. */
  readonly token: string;
  /** What it printed while starting (stdout and stderr). */
  readonly startup: string;
  stop(): Promise<void>;
}

/** Starts a simulated kiosk in `dir` and waits (at most 30 s) for its "API at …, simulator at …" and "try:" lines. */
export async function startSimKioskProcess(dir: string, args: string[] = []): Promise<KioskProcess> {
  const child = spawnSimKiosk(['--dir', dir, ...args]);
  let output = '';
  const [url, simUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiosk --sim did not start: ${output}`)), 30_000);
    const read = (d: Buffer) => {
      output += d.toString();
      const m = /API at (http:\/\/127\.0\.0\.1:\d+), simulator at (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*try: .*\n/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, m[2]!]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
  return {
    child,
    url,
    simUrl,
    token: readFileSync(join(dir, 'api-token'), 'utf8').trim(),
    startup: output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
