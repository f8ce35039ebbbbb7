import type { Command } from 'commander';
import { registerAdminCommands } from './admin';
import { registerCardCommands } from './card';
import { registerDemoCommand } from './demo';
import { registerKeysCommands } from './keys';
import { registerKioskCommand } from './kiosk';
import { registerLedgerCommands } from './ledger';
import { registerLibraryCommands } from './library';
import { registerParkingCommands } from './parking';
import { registerReconcileCommand } from './reconcile';
import { registerSelftestCommand } from './selftest';
import { registerServerCommand } from './server';
import { registerSimCommands } from './sim';
import { registerStartCommand } from './start';
import { registerSyncCommand } from './sync';

// One line per command family; keep the list sorted.
export function registerCommands(program: Command): void {
  registerAdminCommands(program);
  registerCardCommands(program);
  registerDemoCommand(program);
  registerKeysCommands(program);
  registerKioskCommand(program);
  registerLedgerCommands(program);
  registerLibraryCommands(program);
  registerParkingCommands(program);
  registerReconcileCommand(program);
  registerSelftestCommand(program);
  registerServerCommand(program);
  registerSimCommands(program);
  registerStartCommand(program);
  registerSyncCommand(program);
}
