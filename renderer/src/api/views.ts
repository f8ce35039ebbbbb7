// The views and commands the renderer works with: the typed contracts from
// src/shared. The maintenance screen's view is not in the resident view yet
// (no staff card opens it at the resident kiosk), so it stays optional here.
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import type { MaintenanceCommand, MaintenanceView } from '../../../src/shared/maintenance-api';

export type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
export type { Language } from '../../../src/shared/kiosk-api';
export type { MaintenanceView } from '../../../src/shared/maintenance-api';

export type QuoteView = NonNullable<KioskView['quote']>;
export type QuoteOptionView = NonNullable<QuoteView['options']>[number];

export type ResidentView = KioskView & {
  /** Set by the core while a staff card has the maintenance screen open. */
  maintenance?: MaintenanceView | null;
};

export type ResidentCommand = KioskCommand | MaintenanceCommand;
