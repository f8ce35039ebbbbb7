import type { MaintenanceCommand } from '../../shared/maintenance-api';
import type { ResidentKiosk } from '../runtime/resident-kiosk';
import type { MaintenanceFigures } from './maintenance-figures';
import type { MaintenanceSource } from './maintenance-route';

// A staff command from the maintenance screen, applied the same way whichever
// shell carries it (the HTTP API, Electron IPC). Only while the screen is open:
// nothing here reaches a resident's session.

/** Applies `command`; answers why it was refused, or null when done (the figures are fresh again by then). */
export async function applyMaintenanceCommand(
  actor: ResidentKiosk,
  source: MaintenanceSource | undefined,
  figures: MaintenanceFigures | null,
  command: MaintenanceCommand,
): Promise<{ error: string } | null> {
  if (!actor.getSnapshot().hasTag('maintenance')) return { error: 'the maintenance screen is not open: present a staff card' };
  if (command.type === 'EXIT_MAINTENANCE') {
    actor.send({ type: 'EXIT_MAINTENANCE' });
    return null;
  }
  if (command.type === 'RUN_SELF_TEST') {
    if (!source?.runSelfTest) return { error: 'this kiosk cannot run its self-test on demand' };
    await source.runSelfTest();
  } else {
    const refused = source?.syncNow ? await source.syncNow() : { error: 'this kiosk cannot sync on demand' };
    if (refused) return refused;
  }
  await figures?.refresh();
  return null;
}
