// "Wake me at the next change, or after a while": how both readers' waitForCard
// loops sleep between looks at their slots.
export class ChangeWaiter {
  private readonly wakers = new Set<() => void>();

  /** Wakes every waiter. */
  notify(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }

  /** Resolves at the next notify() or after `timeout_ms`; rejects with the signal's reason on abort. */
  next(timeout_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanUp = () => {
        clearTimeout(timer);
        this.wakers.delete(finish);
        signal?.removeEventListener('abort', onAbort);
      };
      const finish = () => {
        cleanUp();
        resolve();
      };
      const onAbort = () => {
        cleanUp();
        reject(signal!.reason);
      };
      const timer = setTimeout(finish, Math.max(0, timeout_ms));
      this.wakers.add(finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
