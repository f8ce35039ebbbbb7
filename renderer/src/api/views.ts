// The views and commands the renderer works with: the typed contracts from
// src/shared. The resident view carries the maintenance screen's figures
// while a staff card has it open (KioskView.maintenance).
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import type { MaintenanceCommand } from '../../../src/shared/maintenance-api';

export type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
export type { Language } from '../../../src/shared/kiosk-api';
export type { MaintenanceView } from '../../../src/shared/maintenance-api';

export type QuoteView = NonNullable<KioskView['quote']>;
export type QuoteOptionView = NonNullable<QuoteView['options']>[number];

export type ResidentView = KioskView;

export type ResidentCommand = KioskCommand | MaintenanceCommand;
