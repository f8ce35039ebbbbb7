import { issueCard, type IssuedCard } from '../../card/issuance';
import type { KeyVault } from '../../card/keys/keyvault';
import { Purse } from '../../card/purse';
import type { ApduTransport } from '../../card/transport';
import { newTxId } from '../../shared/ids';
import type { PaymentTx } from '../machines/contracts';
import { cardRefOf } from './card-station';
import type { KioskLedgerPort } from './ledger-port';

// The issuing desk: a blank card is personalized empty, then its opening
// balance goes on like any other money — intent in the desk's ledger first,
// Credit + record + commit on the card, committed entry after — so no value
// exists on a card that no ledger accounts for (DESIGN §3, §5).

export interface IssuingDesk {
  ledger: KioskLedgerPort;
  /** The desk holds every master key: issuer for personalization, credit for the opening balance. */
  vault: KeyVault;
  card_ref_key: Buffer;
}

export interface IssueRequest {
  opening_balance_minor: number;
  limit_minor: number;
  program_id: number;
  valid_years: number;
}

export class OpeningBalanceError extends Error {
  override name = 'OpeningBalanceError';
}

export async function issueRecorded(transport: ApduTransport, desk: IssuingDesk, req: IssueRequest): Promise<IssuedCard & { card_ref: string }> {
  if (!Number.isSafeInteger(req.opening_balance_minor) || req.opening_balance_minor < 0 || req.opening_balance_minor > req.limit_minor) {
    throw new RangeError(`opening balance must be a whole number of cents between 0 and the limit ${req.limit_minor}`);
  }
  const issued = await issueCard(transport, { vault: desk.vault, opening_balance_minor: 0, limit_minor: req.limit_minor, program_id: req.program_id, valid_years: req.valid_years, tx_id: newTxId() });
  const purse = new Purse(transport, { vault: desk.vault });
  const reading = await purse.read();
  const card_ref = cardRefOf(reading.card_number, desk.card_ref_key);
  if (req.opening_balance_minor === 0) return { ...issued, card_ref };

  const tx: PaymentTx = {
    tx_id: newTxId(),
    kind: 'opening_balance',
    direction: 'credit',
    card_ref,
    masked_serial: issued.masked_serial,
    amount_minor: req.opening_balance_minor,
    balance_before_minor: reading.balance_minor,
    expected_balance_after_minor: reading.balance_minor + req.opening_balance_minor,
    tmac_counter_before: reading.tmac_counter ?? 0,
    quote_ref: null,
    reverses_tx_id: null,
    shift_id: null,
    staff_ref: null,
    authorised_by: null,
  };
  const intent = await desk.ledger.writeIntent(tx);
  if (!intent.ok) throw new OpeningBalanceError(`the card is issued empty: the desk's ledger would not record the opening balance (${intent.error})`);
  const outcome = await purse.credit(tx.tx_id, tx.amount_minor);
  if (outcome.outcome === 'committed') {
    const evidence = { balance_after_minor: outcome.balance_after_minor, tmac_counter: outcome.tmac_counter ?? 0, tmac_value: outcome.tmac_value_hex ?? '' };
    const recorded = await desk.ledger.recordCommitted(tx, evidence);
    if (!recorded.ok) throw new OpeningBalanceError(`the opening balance is on the card but its entry was not written (${recorded.error}): read the card at this desk again to settle ${tx.tx_id}`);
    return { ...issued, balance_minor: outcome.balance_after_minor, card_ref };
  }
  if (outcome.outcome === 'uncertain') {
    await desk.ledger.recordUncertain(tx, 'card_removed');
    throw new OpeningBalanceError(`the card left before the opening balance was confirmed: read it at this desk again to settle ${tx.tx_id}`);
  }
  await desk.ledger.recordAborted(tx, outcome.outcome === 'refused' && outcome.reason === 'over_limit' ? 'over_purse_limit' : 'card_absent');
  throw new OpeningBalanceError(`the card is issued empty: it refused the opening balance (${outcome.outcome === 'refused' ? outcome.reason : outcome.reason})`);
}
