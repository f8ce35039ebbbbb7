// The IPC channel names, fixed: the preload invokes only these, main handles only these.
export const CHANNELS = {
  state: 'civicard:state',
  command: 'civicard:command',
  speak: 'civicard:speak',
  /** main → renderer: a new KioskView. */
  view: 'civicard:view',
} as const;
