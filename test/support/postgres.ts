import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

// A real PostgreSQL 15 for the back-office tests, in a temporary data
// directory, on a free loopback port, with its unix socket inside that
// directory: nothing on the machine is shared or left behind. PostgreSQL
// refuses to run as root, so under root initdb and the server run as the
// `postgres` user that the Debian package creates (otherwise as the user
// running the tests). Made fast rather than durable (fsync off): a test
// server holds nothing worth a power cut.

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const MISSING = 'PostgreSQL 15 is not installed: run bash scripts/setup.sh';

export interface TestPostgres {
  /** The server's own `postgres` database. */
  url: string;
  /** A new empty database on this server, for one test. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'postgres'))) throw new Error(MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'civicard-pg-'));
  const data = join(dir, 'data');
  let asServerUser = (cmd: string, args: string[]) => run(join(BIN, cmd), args);
  // PostgreSQL refuses to run as root: root hands the directory to the `postgres` user and runs it as that user.
  if (process.getuid?.() === 0) {
    let uid: number;
    let gid: number;
    try {
      uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${MISSING} (there is no postgres user)`);
    }
    chownSync(dir, uid, gid);
    asServerUser = (cmd, args) => run('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]);
  }
  let pid: number | undefined;
  try {
    await asServerUser('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale', 'C']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
    await asServerUser('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
    pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let n = 0;
    return {
      url,
      async createDatabase() {
        const name = `t_${++n}`;
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop: () => stopServer(pid!, dir),
    };
  } catch (e) {
    if (pid !== undefined) await stopServer(pid, dir);
    else rmSync(dir, { recursive: true, force: true });
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    throw new Error(`could not start a test PostgreSQL: ${e instanceof Error ? e.message : String(e)}${log === '' ? '' : `\n${log}`}`);
  }
}

/**
 * Stops the one postmaster this harness started, by its pid: a smart shutdown
 * first, which lets sessions that are closing finish (pg's Pool.end resolves
 * before its sockets are closed, and a fast shutdown would send those a FATAL
 * message nobody listens for any more), then fast, then immediate.
 */
async function stopServer(pid: number, dir: string): Promise<void> {
  try {
    for (const [signal, ms] of [['SIGTERM', 3_000], ['SIGINT', 3_000], ['SIGQUIT', 3_000]] as const) {
      if (!alive(pid)) break;
      process.kill(pid, signal);
      for (let waited = 0; waited < ms && alive(pid); waited += 20) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
