// The IPC channel names, fixed: the preload invokes only these, main handles only these.
export const CHANNELS = {
  state: 'civicard:state',
  command: 'civicard:command',
  speak: 'civicard:speak',
  /** main → renderer: a new KioskView. */
  view: 'civicard:view',
  attendantState: 'civicard:attendant:state',
  attendantCommand: 'civicard:attendant:command',
  /** main → renderer: a new AttendantView. */
  attendantView: 'civicard:attendant:view',
  maintenanceState: 'civicard:maintenance:state',
  maintenanceCommand: 'civicard:maintenance:command',
} as const;
