// Which CDS fields the engine reads, which it accepts because they cannot
// change a price, and which it refuses because they would and are not
// implemented. A field in none of the lists is refused too: nothing that might
// change a price is ever ignored in silence.

export type FieldTable = {
  /** Read by the engine. */
  used: readonly string[];
  /** Names, geometry, metadata: accepted and not read. */
  metadata: readonly string[];
  /** CDS fields that would change a price, with why they are refused. */
  refused?: Readonly<Record<string, string>>;
};

export const ENVELOPE: FieldTable = {
  used: ['version', 'time_zone', 'currency', 'data', 'links', 'civicard_designated_periods'],
  metadata: ['last_updated', 'author', 'license_url'],
};

export const DATA: FieldTable = {
  used: ['zones', 'policies'],
  metadata: ['areas', 'spaces'],
};

export const ZONE: FieldTable = {
  used: ['curb_zone_id', 'curb_policy_ids', 'user_zone_id', 'start_date', 'end_date', 'prev_policies'],
  metadata: [
    'geometry', 'published_date', 'last_updated_date', 'prev_curb_zone_ids', 'location_references', 'name', 'street_name',
    'cross_street_start_name', 'cross_street_end_name', 'length', 'available_space_lengths', 'availability_time', 'width',
    'parking_angle', 'num_spaces', 'street_side', 'median', 'entire_roadway', 'curb_area_ids', 'curb_space_ids',
  ],
};

export const PREV_POLICY: FieldTable = { used: ['curb_policy_ids', 'start_date', 'end_date'], metadata: [] };

export const POLICY: FieldTable = {
  used: ['curb_policy_id', 'priority', 'rules', 'time_spans', 'data_source_operator_id'],
  metadata: ['published_date'],
};

export const RULE: FieldTable = {
  used: ['activity', 'max_stay', 'max_stay_unit', 'no_return', 'no_return_unit', 'user_classes', 'rate'],
  metadata: [],
};

export const RATE: FieldTable = {
  used: ['rate', 'rate_unit', 'rate_unit_period', 'increment_duration', 'increment_amount', 'start_duration', 'end_duration'],
  metadata: [],
  refused: {
    maximum_fee: 'not implemented: CDS does not say whether the cap covers this rate or the whole stay',
  },
};

export const TIME_SPAN: FieldTable = {
  used: ['start_date', 'end_date', 'days_of_week', 'days_of_month', 'months', 'time_of_day_start', 'time_of_day_end', 'designated_period', 'designated_period_except'],
  metadata: [],
};

/** Errors for every field of `object` the table does not read or accept. */
export function unsupportedFields(object: Record<string, unknown>, table: FieldTable, path: string): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  for (const name of Object.keys(object)) {
    if (table.used.includes(name) || table.metadata.includes(name)) continue;
    const refused = table.refused?.[name];
    errors.push({ path: `${path}.${name}`, message: refused ?? 'unknown field: it might change the price, so the file is refused' });
  }
  return errors;
}
