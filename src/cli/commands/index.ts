import type { Command } from 'commander';
import { registerSelftestCommand } from './selftest';

// One line per command family; keep the list sorted.
export function registerCommands(program: Command): void {
  registerSelftestCommand(program);
}
