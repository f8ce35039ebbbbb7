// Every state of the resident and attendant machines has a screen: the test
// walks the machine definitions, so a state added without a screen fails here.
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, StateNode } from 'xstate';
import { attendantMachine } from '../../../src/kiosk/machines/attendant';
import { residentMachine } from '../../../src/kiosk/machines/resident';
import { ATTENDANT_SCREENS, RESIDENT_SCREENS, RESIDENT_SCREENS_AHEAD_OF_MACHINE } from '../../../renderer/src/screens/registry';
import { ATTENDANT_SCREEN_COMPONENTS } from '../../../renderer/src/screens/attendant';
import { RESIDENT_SCREEN_COMPONENTS } from '../../../renderer/src/screens/resident';

/** The view's `screen` for every leaf: timed() sub-states (active/warning) fold into their parent, as in src/kiosk/api/view.ts. */
export function screenPaths(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: StateNode<never, never>) => {
    const children = Object.keys(node.states);
    const timedOnly = children.length === 2 && children.includes('active') && children.includes('warning');
    if (children.length === 0 || timedOnly) return void out.push(node.path.join('.'));
    for (const child of Object.values(node.states)) walk(child as StateNode<never, never>);
  };
  walk(machine.root as unknown as StateNode<never, never>);
  return out.sort();
}

describe('a screen for every machine state', () => {
  it('walks real definitions (sanity: known states are found, timed sub-states folded)', () => {
    const resident = screenPaths(residentMachine);
    expect(resident).toContain('session.balanceShown');
    expect(resident).toContain('payment.uncertain.waitingForSameCard');
    expect(resident.some((p) => p.endsWith('.active') || p.endsWith('.warning'))).toBe(false);
    expect(screenPaths(attendantMachine)).toContain('signedIn.topUp.enteringAmount');
  });

  it('resident: every leaf state path has a screen, and every screen id a component', () => {
    const missing = screenPaths(residentMachine).filter((p) => !(p in RESIDENT_SCREENS));
    expect(missing, `states without a screen in renderer/src/screens/registry.ts`).toEqual([]);
    for (const entry of Object.values(RESIDENT_SCREENS)) expect(RESIDENT_SCREEN_COMPONENTS[entry.id]).toBeTypeOf('function');
  });

  it('attendant: every leaf state path has a screen, and every screen id a component', () => {
    const missing = screenPaths(attendantMachine).filter((p) => !(p in ATTENDANT_SCREENS));
    expect(missing, `states without a screen in renderer/src/screens/registry.ts`).toEqual([]);
    for (const entry of Object.values(ATTENDANT_SCREENS)) expect(ATTENDANT_SCREEN_COMPONENTS[entry.id]).toBeTypeOf('function');
  });

  it('has no screen for a state that no longer exists (except the ones built ahead of the machine)', () => {
    const resident = new Set(screenPaths(residentMachine));
    const stale = Object.keys(RESIDENT_SCREENS).filter((p) => !resident.has(p) && !RESIDENT_SCREENS_AHEAD_OF_MACHINE.includes(p));
    expect(stale).toEqual([]);
    const attendant = new Set(screenPaths(attendantMachine));
    expect(Object.keys(ATTENDANT_SCREENS).filter((p) => !attendant.has(p))).toEqual([]);
  });
});
