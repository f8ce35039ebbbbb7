// Wall time per stage of a payment, by wrapping the parts' methods (bench only:
// the kiosk itself is not instrumented). Stages nest in one place only — the
// settlement writes inside readCard — and are reported as measured.

export class StageTimers {
  private readonly totals_ms = new Map<string, number>();

  /** Replaces `obj[method]` with a version that adds its wall time to `stage`. */
  wrap<T extends object>(obj: T, method: keyof T & string, stage: string = method): void {
    const original = (obj[method] as (...args: unknown[]) => unknown).bind(obj);
    const add = (t0: number) => this.add(stage, performance.now() - t0);
    (obj as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const t0 = performance.now();
      const out = original(...args);
      if (out instanceof Promise) return out.finally(() => add(t0));
      add(t0);
      return out;
    };
  }

  add(stage: string, ms: number): void {
    this.totals_ms.set(stage, (this.totals_ms.get(stage) ?? 0) + ms);
  }

  /** Mean ms per payment for each stage, largest first. */
  perPayment(payments: number): Record<string, number> {
    const rows = [...this.totals_ms].sort((a, b) => b[1] - a[1]);
    return Object.fromEntries(rows.map(([k, ms]) => [k, Math.round((ms / payments) * 1000) / 1000]));
  }

  reset(): void {
    this.totals_ms.clear();
  }
}
