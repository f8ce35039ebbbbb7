import { readFileSync, statSync } from 'node:fs';
import { replaceFileDurably } from '../../shared/durable-file';

// Wrong-PIN counts per staff_ref, kept in a small file in the station's
// directory so that restarting the station does not hand an attacker fresh
// attempts. Wall-clock time, because a restart loses any monotonic clock.

export const PIN_ATTEMPTS_FORMAT = 'civicard-pin-attempts/1';

export interface PinAttemptPolicy {
  /** Wrong PINs in a row that lock this staff_ref out. */
  readonly max_attempts: number;
  readonly lockout_ms: number;
}

interface AttemptRecord {
  failures: number;
  locked_until_ms: number | null;
}

export class PinAttemptsError extends Error {
  override name = 'PinAttemptsError';
}

export class PinAttempts {
  private constructor(
    private readonly path: string,
    private readonly policy: PinAttemptPolicy,
    private readonly now: () => number,
    private readonly records: Map<string, AttemptRecord>,
  ) {
    if (!Number.isSafeInteger(policy.max_attempts) || policy.max_attempts < 1) throw new RangeError('max_attempts must be a positive integer');
    if (!Number.isSafeInteger(policy.lockout_ms) || policy.lockout_ms < 0) throw new RangeError('lockout_ms must be a non-negative integer');
  }

  /** Opens (or starts) the attempts file at `path`; refuses a file it cannot trust. */
  static open(path: string, policy: PinAttemptPolicy, now: () => number = Date.now): PinAttempts {
    return new PinAttempts(path, policy, now, readRecords(path));
  }

  /** True while `staff_ref` is locked out; no PIN is checked then, not even the right one. */
  isLockedOut(staff_ref: string): boolean {
    const record = this.records.get(staff_ref);
    if (!record || record.locked_until_ms === null) return false;
    const now = this.now();
    // A clock set back must not stretch the lockout past its length.
    if (now < record.locked_until_ms && record.locked_until_ms - now <= this.policy.lockout_ms) return true;
    this.records.delete(staff_ref);
    this.save();
    return false;
  }

  failuresOf(staff_ref: string): number {
    return this.records.get(staff_ref)?.failures ?? 0;
  }

  recordFailure(staff_ref: string): void {
    const failures = this.failuresOf(staff_ref) + 1;
    const locked = failures >= this.policy.max_attempts;
    this.records.set(staff_ref, { failures, locked_until_ms: locked ? this.now() + this.policy.lockout_ms : null });
    this.save();
  }

  recordSuccess(staff_ref: string): void {
    if (!this.records.delete(staff_ref)) return;
    this.save();
  }

  private save(): void {
    const staff: Record<string, AttemptRecord> = Object.fromEntries(this.records);
    // A crash leaves the old or the new count, never half, and the rename itself is synced.
    replaceFileDurably(this.path, `${JSON.stringify({ format: PIN_ATTEMPTS_FORMAT, staff }, null, 2)}\n`, { mode: 0o600, sync_dir: true });
  }
}

function readRecords(path: string): Map<string, AttemptRecord> {
  let text: string;
  try {
    if ((statSync(path).mode & 0o022) !== 0) throw new PinAttemptsError(`${path} can be written by group or others; run \`chmod 600 ${path}\``);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PinAttemptsError(`${path} is not valid JSON; the wrong-PIN counts cannot be trusted (move it aside only after checking why)`);
  }
  const file = parsed as { format?: unknown; staff?: unknown };
  if (file.format !== PIN_ATTEMPTS_FORMAT || typeof file.staff !== 'object' || file.staff === null) {
    throw new PinAttemptsError(`${path} is not a wrong-PIN count file (expected format ${PIN_ATTEMPTS_FORMAT})`);
  }
  const records = new Map<string, AttemptRecord>();
  for (const [staff_ref, value] of Object.entries(file.staff)) {
    const r = value as Partial<AttemptRecord>;
    const lockedOk = r.locked_until_ms === null || Number.isSafeInteger(r.locked_until_ms);
    if (!Number.isSafeInteger(r.failures) || (r.failures as number) < 0 || !lockedOk) throw new PinAttemptsError(`${path}: the record for ${staff_ref} is malformed`);
    records.set(staff_ref, { failures: r.failures as number, locked_until_ms: r.locked_until_ms as number | null });
  }
  return records;
}
