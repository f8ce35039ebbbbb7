import type { MaintenanceView } from '../../shared/maintenance-api';
import type { ResidentKiosk } from '../runtime/resident-kiosk';
import { maintenanceViewOf, type MaintenanceSource } from './maintenance-route';

// The maintenance figures the resident view carries while a staff card has the
// maintenance screen open. The view is built synchronously (every snapshot,
// every stream), the figures are not (the printer is asked): so they are
// fetched on entering the screen and every few seconds while it stays open,
// and the latest are kept here. Leaving the screen drops them.

export const MAINTENANCE_REFRESH_MS = 3_000;

export class MaintenanceFigures {
  private figures: MaintenanceView | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Bumped on entering and leaving: an answer from an earlier visit is dropped. */
  private visit = 0;
  private readonly sub: { unsubscribe(): void };

  constructor(
    private readonly source: MaintenanceSource,
    private readonly actor: ResidentKiosk,
    /** Called when new figures arrive (the view changed outside the machine). */
    private readonly onChange: () => void,
    private readonly refresh_ms = MAINTENANCE_REFRESH_MS,
  ) {
    this.sub = actor.subscribe({ next: (s) => this.follow(s.hasTag('maintenance')), complete: () => this.leave() });
    this.follow(actor.getSnapshot().hasTag('maintenance'));
  }

  /** The latest figures, while the screen is open. */
  latest(): MaintenanceView | null {
    return this.figures;
  }

  /** Fetches the figures now (after a command changed them); resolves when they are in. */
  async refresh(): Promise<void> {
    const visit = this.visit;
    const snapshot = this.actor.getSnapshot();
    if (!snapshot.hasTag('maintenance')) return;
    let figures: MaintenanceView;
    try {
      figures = await maintenanceViewOf(this.source, snapshot.context.maintenance_staff ?? '');
    } catch {
      return; // the next refresh tries again; the screen keeps the figures it has
    }
    if (visit !== this.visit) return;
    this.figures = figures;
    this.onChange();
  }

  stop(): void {
    this.sub.unsubscribe();
    this.leave();
  }

  private follow(open: boolean): void {
    if (open && this.timer === null) {
      this.visit += 1;
      this.timer = setInterval(() => void this.refresh(), this.refresh_ms);
      this.timer.unref?.();
      void this.refresh();
    } else if (!open && this.timer !== null) this.leave();
  }

  private leave(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.visit += 1;
    this.figures = null;
  }
}
