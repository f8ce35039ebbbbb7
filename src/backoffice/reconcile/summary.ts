import type { ChainReport } from './chain';
import type { TmacFigures } from './cards';
import type { ReconException } from './exceptions';
import type { CardFigures, LiabilityEquation } from './liability';
import type { OpenIntentFigures } from './open-intents';
import type { BranchRevenue, FlowTotals, ServiceRevenue, ZoneRevenue } from './revenue';
import type { ServiceFigures } from './services';
import type { ShiftRow } from './shifts';

// DIR/summary.json, documented field by field in docs/reconciliation.md.

export const SUMMARY_FORMAT = 'civicard-reconciliation/1';

export interface ReconciliationSummary {
  format: typeof SUMMARY_FORMAT;
  business_date: string;
  time_zone: string;
  window: { from: string; to: string };
  generated_at: string;
  totals: FlowTotals & { revenue_net_minor: number; cash_taken_minor: number };
  liability: LiabilityEquation;
  revenue: { by_service: ServiceRevenue[]; by_branch: BranchRevenue[]; by_zone: ZoneRevenue[]; zone_note: string; hourly_net_minor: number[] };
  shifts: ShiftRow[];
  open_intents: OpenIntentFigures;
  services: ServiceFigures;
  tmac: TmacFigures;
  chain: ChainReport[];
  exception_counts: { critical: number; warning: number; info: number };
  exceptions: ReconException[];
  /** How long each check took, in milliseconds (reports are written after). */
  timings_ms: Record<string, number>;
}

/** Not in summary.json (one row per active card): cards.csv. */
export type { CardFigures };
