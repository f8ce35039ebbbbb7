import type { Policy, Rule, Tariffs, TimeSpan, Zone } from './types';
import { wallClock, type WallClock } from './wall-clock';

// Which rule governs a zone at one instant for one vehicle: among the zone's
// policies whose time spans hold then and which have a rule for the vehicle's
// user classes, the one with the lowest `priority` (CDS: 1 takes precedence
// over 3).

export type Governing =
  | { kind: 'rule'; policy: Policy; rule: Rule; rule_index: number }
  | { kind: 'none' }
  | { kind: 'ambiguous'; policy_ids: [string, string] };

function inTimeOfDay(span: TimeSpan, minute: number): boolean {
  if (span.minute_start <= span.minute_end) return minute >= span.minute_start && minute < span.minute_end;
  return minute >= span.minute_start || minute < span.minute_end; // e.g. 22:00–06:00
}

export function spanHolds(span: TimeSpan, at_ms: number, wall: WallClock, tariffs: Tariffs): boolean {
  if (span.start_ms !== undefined && at_ms < span.start_ms) return false;
  if (span.end_ms !== undefined && at_ms >= span.end_ms) return false;
  if (span.days_of_week !== undefined && !span.days_of_week.includes(wall.weekday)) return false;
  if (span.days_of_month !== undefined && !span.days_of_month.includes(wall.day)) return false;
  if (span.months !== undefined && !span.months.includes(wall.month)) return false;
  if (span.designated_period !== undefined) {
    const inside = tariffs.designated_periods.get(span.designated_period.name)?.has(wall.date) ?? false;
    if (inside === span.designated_period.except) return false;
  }
  return inTimeOfDay(span, wall.minute_of_day);
}

/** The rule of `policy` for a vehicle of `user_classes`: it must have every class the rule names; the most specific wins. */
function ruleFor(policy: Policy, user_classes: readonly string[]): { rule: Rule; rule_index: number } | null {
  let best: { rule: Rule; rule_index: number } | null = null;
  policy.rules.forEach((rule, rule_index) => {
    if (!rule.user_classes.every((c) => user_classes.includes(c))) return;
    if (best === null || rule.user_classes.length > best.rule.user_classes.length) best = { rule, rule_index };
  });
  return best;
}

export function policyIdsAt(zone: Zone, at_ms: number): readonly string[] {
  return zone.prev_policies.find((p) => at_ms >= p.start_ms && at_ms < p.end_ms)?.curb_policy_ids ?? zone.curb_policy_ids;
}

export function governingRule(tariffs: Tariffs, zone: Zone, at_ms: number, user_classes: readonly string[]): Governing {
  const wall = wallClock(at_ms, tariffs.time_zone);
  let best: Extract<Governing, { kind: 'rule' }> | null = null;
  let tie: string | null = null;
  for (const id of policyIdsAt(zone, at_ms)) {
    const policy = tariffs.policies.get(id)!;
    if (policy.operators_only) continue;
    if (policy.time_spans.length > 0 && !policy.time_spans.some((s) => spanHolds(s, at_ms, wall, tariffs))) continue;
    const found = ruleFor(policy, user_classes);
    if (found === null) continue;
    if (best === null || policy.priority < best.policy.priority) {
      best = { kind: 'rule', policy, ...found };
      tie = null;
    } else if (policy.priority === best.policy.priority) {
      tie = policy.curb_policy_id;
    }
  }
  if (best === null) return { kind: 'none' };
  if (tie !== null) return { kind: 'ambiguous', policy_ids: [best.policy.curb_policy_id, tie] };
  return best;
}
