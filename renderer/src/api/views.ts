// The views and commands the renderer works with: the typed contracts from
// src/shared, plus the fields the core is gaining in parallel (patron PIN,
// choosing among options, maintenance), typed here as optional so the UI is
// ready for them and works without them.
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import type { MaintenanceCommand, MaintenanceView } from '../../../src/shared/maintenance-api';

export type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
export type { Language } from '../../../src/shared/kiosk-api';
export type { MaintenanceView } from '../../../src/shared/maintenance-api';

export interface QuoteOptionView {
  id: string;
  amount_minor: number;
  label_key: string;
  label_params: Record<string, string | number>;
  preselected: boolean;
}

export type QuoteView = NonNullable<KioskView['quote']> & {
  options?: QuoteOptionView[];
  multiple?: boolean;
  /** Screen-only details (the patron's name on the library choosing screen). */
  screen_params?: Record<string, string | number>;
};

export type ResidentView = Omit<KioskView, 'quote'> & {
  quote: QuoteView | null;
  /** Set by the core while a staff card has the maintenance screen open. */
  maintenance?: MaintenanceView | null;
};

export type ResidentCommand =
  | KioskCommand
  | { type: 'SUBMIT_PIN'; pin: string }
  | { type: 'CHOOSE'; option_ids: string[] }
  | MaintenanceCommand;
