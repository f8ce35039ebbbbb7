// Tariffs as the engine uses them: CDS Curbs objects, parsed and checked
// (see parse.ts), every duration already converted to whole minutes of
// elapsed time and every amount in integer minor units.

import type { Weekday } from './wall-clock';

export type TimeSpan = {
  start_ms?: number; // inclusive
  end_ms?: number; // exclusive
  days_of_week?: readonly Weekday[];
  days_of_month?: readonly number[];
  months?: readonly number[];
  minute_start: number; // time_of_day_start, inclusive, 0 when absent
  minute_end: number; // time_of_day_end, exclusive, 1440 when absent; below minute_start wraps past midnight
  designated_period?: { name: string; except: boolean };
};

/** One progressive band of a rule's rates, in minutes since the rule began to apply to this stay. */
export type Rate = {
  rate_minor: number; // per rate_unit, in the currency's smallest unit (CDS `rate`)
  rate_unit: string;
  unit_seconds: number;
  start_minute: number; // inclusive
  end_minute: number | null; // exclusive; null: until the vehicle leaves
  increment_minutes: number | null; // increment_duration, in minutes
  increment_amount_minor: number | null;
};

export const PARKING_ACTIVITIES = ['parking', 'no parking', 'loading', 'no loading', 'unloading', 'no unloading', 'stopping', 'no stopping', 'travel', 'no travel'] as const;
export type Activity = (typeof PARKING_ACTIVITIES)[number];

export type Rule = {
  activity: Activity;
  max_stay_minutes: number | null;
  no_return_minutes: number;
  user_classes: readonly string[];
  rates: readonly Rate[]; // sorted by start_minute, contiguous from 0; empty: free
};

export type Policy = {
  curb_policy_id: string;
  priority: number;
  rules: readonly Rule[];
  time_spans: readonly TimeSpan[]; // empty: always
  /** CDS `data_source_operator_id`: the policy binds only those operators, never a kiosk customer. */
  operators_only: boolean;
};

export type Zone = {
  curb_zone_id: string;
  user_zone_id?: string;
  start_ms: number;
  end_ms?: number;
  curb_policy_ids: readonly string[];
  prev_policies: readonly { curb_policy_ids: readonly string[]; start_ms: number; end_ms: number }[];
};

export type Tariffs = {
  time_zone: string;
  currency: string;
  zones: readonly Zone[];
  policies: ReadonlyMap<string, Policy>;
  /** Local dates (`YYYY-MM-DD`) of each designated period, by name. */
  designated_periods: ReadonlyMap<string, ReadonlySet<string>>;
};

export type TariffError = { path: string; message: string };
