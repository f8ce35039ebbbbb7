#!/usr/bin/env node
// Entry point of the `civicard` command. The sources are TypeScript; tsx loads
// them directly so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
