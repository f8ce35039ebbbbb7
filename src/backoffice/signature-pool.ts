import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// Ed25519 signature checks on worker threads. They are most of what ingest
// costs (bench:server: ~75% of a batch on SQLite), each one independent of the
// others, so a batch's signatures can be split across cores while the event
// loop serves other kiosks' requests and their database work.
//
// The worker runs the check of src/ledger/encoding.ts `signatureVerifies`,
// restated below because a worker is started from source text (no loader for
// TypeScript in a worker); test/unit/backoffice/signature-pool.test.ts holds
// the two to the same verdict on hostile input.

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const HASH = /^[0-9a-f]{64}$/;
const keys = new Map();
parentPort.on('message', ({ id, pem, hashes, signatures }) => {
  let key = keys.get(pem);
  if (key === undefined) {
    if (keys.size > 1000) keys.clear();
    key = createPublicKey(pem);
    keys.set(pem, key);
  }
  let bad = -1;
  for (let i = 0; i < hashes.length; i++) {
    const hash = hashes[i], signature = signatures[i];
    const bytes = HASH.test(hash) ? Buffer.from(signature, 'base64') : null;
    const ok = bytes !== null && bytes.length === 64 && bytes.toString('base64') === signature && verify(null, Buffer.from(hash, 'hex'), key, bytes);
    if (!ok) { bad = i; break; }
  }
  parentPort.postMessage({ id, bad });
});
`;

/** Below this many signatures a batch is checked on the calling thread: handing over costs more than it saves. */
export const POOL_MIN_SIGNATURES = 64;

interface Pending {
  resolve(bad: number): void;
  reject(e: Error): void;
}

export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private next = 0;
  private broken: Error | null = null;
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(readonly threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on('message', ({ id, bad }: { id: number; bad: number }) => {
        this.pending.get(id)?.resolve(bad);
        this.pending.delete(id);
        if (this.pending.size === 0) this.idle();
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`signature worker exited with code ${code}`));
      });
      // Idle workers never keep the process alive (after the listeners: attaching one refs the worker again);
      // while answers are awaited a timer does, or the process could end in the middle of an ingest.
      w.unref();
      this.workers.push(w);
    }
  }

  /**
   * The index of the first pair whose signature is not the canonical base64 of
   * a valid Ed25519 signature over the hash by `publicKeyPem`, or -1.
   */
  async firstBad(publicKeyPem: string, items: readonly { hash: string; signature: string }[]): Promise<number> {
    if (this.broken !== null) throw this.broken;
    const parts = Math.min(this.workers.length, Math.ceil(items.length / POOL_MIN_SIGNATURES));
    const size = Math.ceil(items.length / parts);
    const answers = await Promise.all(
      Array.from({ length: parts }, (_, p) => {
        const slice = items.slice(p * size, (p + 1) * size);
        return this.ask(publicKeyPem, slice).then((bad) => (bad < 0 ? -1 : p * size + bad));
      }),
    );
    const bad = answers.filter((i) => i >= 0);
    return bad.length === 0 ? -1 : Math.min(...bad);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  private ask(pem: string, items: readonly { hash: string; signature: string }[]): Promise<number> {
    const id = this.nextId++;
    const worker = this.workers[this.next++ % this.workers.length]!;
    this.keepAlive ??= setInterval(() => {}, 60_000);
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, pem, hashes: items.map((i) => i.hash), signatures: items.map((i) => i.signature) });
    });
  }

  private fail(e: Error): void {
    this.broken = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.idle();
  }

  private idle(): void {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}

let shared: SignaturePool | null | undefined;

/**
 * The process's pool, or null: CIVICARD_SIGNATURE_THREADS=N starts N workers
 * on first use (`auto`: one per core, at most 4). Off unless set: on the 2-core
 * machine bench:server was measured on, busy with other work, the pool was no
 * faster than the event loop alone (docs/benchmarks.md); it pays where cores
 * are free.
 */
export function signaturePool(): SignaturePool | null {
  if (shared === undefined) {
    const set = process.env.CIVICARD_SIGNATURE_THREADS ?? '';
    const threads = set === 'auto' ? Math.min(4, availableParallelism()) : set === '' ? 0 : Number(set);
    if (!Number.isSafeInteger(threads) || threads < 0) throw new RangeError(`CIVICARD_SIGNATURE_THREADS must be a whole number or auto, not ${set}`);
    shared = threads === 0 ? null : new SignaturePool(threads);
  }
  return shared;
}
