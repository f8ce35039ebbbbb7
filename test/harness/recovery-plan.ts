// What one life of the recovery harness is told to do: a list of steps, each a
// visit to one station, and at most one kill.

export const KIOSK_FEE_MINOR = 10;
export const ELSEWHERE_FEE_MINOR = 25;
export const OPENING_MINOR = 20_000;
export const PURSE_LIMIT_MINOR = 50_000;
export const CARD_REF_KEY_HEX = '09'.repeat(32);
export const PINS = { attendant: '2468', supervisor: '9999' } as const;

/** Where the card is used; each has its own ledger, key and terminal id. */
export const STATIONS = {
  kiosk: { ledger: 'kiosk.db', key: 'kiosk-key.pem', terminal_id: 77 },
  elsewhere: { ledger: 'elsewhere.db', key: 'elsewhere-key.pem', terminal_id: 78 },
  attendant: { ledger: 'attendant.db', key: 'attendant-key.pem', terminal_id: 20 },
  desk: { ledger: 'desk.db', key: 'desk-key.pem', terminal_id: 1 },
} as const;
export type StationName = keyof typeof STATIONS;

export const PAYMENT_STATES = ['allocating', 'writingIntent', 'debiting', 'recordingCommitted', 'fulfilling', 'printing', 'done'] as const;
export const REFUSAL_STATES = ['creditingBack', 'serviceRefusedNotice'] as const;
export const CARD_TXN_STATES = ['allocating', 'writingIntent', 'crediting', 'debiting', 'recordingCommitted', 'printing', 'done'] as const;

/** The field torn at the step's nth APDU of the harness card, before or after the card ran it. */
export interface TearPlan {
  apdu: number;
  when: 'before' | 'after';
}

export type Step =
  /** A resident pays at a kiosk; `refuse`: the service refuses the payment (credit back). `patience`: re-taps when asked. */
  | { kind: 'pay'; station: 'kiosk' | 'elsewhere'; refuse: boolean; patience: number; tear: TearPlan | null }
  | { kind: 'top_up'; amount_minor: number; tear: TearPlan | null }
  /** The supervisor voids the top-up just made (same life: the void window lives in the station). */
  | { kind: 'void'; tear: TearPlan | null };

export type KillPlan =
  | { at: 'none' }
  /** A machine state of the step's station (resident payment or attendant card transaction). */
  | { at: 'state'; step: number; state: string }
  | { at: 'apdu'; step: number; apdu: number; when: 'before' | 'after' };

export interface WorkerPlan {
  dir: string;
  steps: Step[];
  kill: KillPlan;
  /** The last life: the card is read at every station (tap and cancel) so each settles what it can. */
  final: boolean;
}

/** Appended by the worker to DIR/journal.ndjson: one line per card commit (the card's truth). */
export interface JournalLine {
  /** What the card's record names the transaction by: its tx id's tag (no timestamp). */
  tx_tag: string;
  kind: 'issue' | 'debit' | 'credit' | 'credit_back';
  amount_minor: number;
  balance_after_minor: number;
}
