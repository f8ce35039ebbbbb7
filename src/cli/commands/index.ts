import type { Command } from 'commander';
import { registerCardCommands } from './card';
import { registerDemoCommand } from './demo';
import { registerKeysCommands } from './keys';
import { registerKioskCommand } from './kiosk';
import { registerLedgerCommands } from './ledger';
import { registerLibraryCommands } from './library';
import { registerParkingCommands } from './parking';
import { registerReconcileCommand } from './reconcile';
import { registerSelftestCommand } from './selftest';
import { registerSimCommands } from './sim';

// One line per command family; keep the list sorted.
export function registerCommands(program: Command): void {
  registerCardCommands(program);
  registerDemoCommand(program);
  registerKeysCommands(program);
  registerKioskCommand(program);
  registerLedgerCommands(program);
  registerLibraryCommands(program);
  registerParkingCommands(program);
  registerReconcileCommand(program);
  registerSelftestCommand(program);
  registerSimCommands(program);
}
