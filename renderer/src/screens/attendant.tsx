// The attendant station's screens. The PIN is typed here and sent once in
// PIN_ENTERED; it is never shown (dots only) nor put in an attribute.
import { useState, type ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AttendantCommand, AttendantView } from '../api/views';
import { AmountEntry, Button, Keypad, ScreenFrame, useMoney } from '../components/ui';
import type { AttendantScreenId, ScreenEntry } from './registry';

export interface AttendantScreenProps {
  view: AttendantView;
  entry: ScreenEntry<AttendantScreenId>;
  send: (command: AttendantCommand) => void;
}
type Props = AttendantScreenProps;

function Frame(props: Props & { title?: string; children?: React.ReactNode; actions?: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <ScreenFrame id={props.entry.id} state={props.view.screen} title={props.title ?? t(props.entry.title)} body={props.entry.body ? t(props.entry.body) : undefined} actions={props.actions}>
      {props.children}
    </ScreenFrame>
  );
}

const cancel = (p: Props, t: (k: string) => string) => <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />;

function Plain(p: Props) {
  return <Frame {...p} />;
}

function Acknowledge(p: Props) {
  const { t } = useTranslation();
  return <Frame {...p} actions={<Button label={t('common.ok')} onPress={() => p.send({ type: 'ACK' })} testId="ok" variant="primary" />} />;
}

function Pin(p: Props) {
  const { t } = useTranslation();
  const [pin, setPin] = useState('');
  const supervisor = p.view.screen.startsWith('signedIn.void.');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('pin.submit')} disabled={pin.length < 4} onPress={() => p.send({ type: 'PIN_ENTERED', pin })} testId="submit-pin" variant="primary" />
          {cancel(p, t)}
        </>
      }
    >
      {!supervisor && p.view.staff ? <p>{t('card.masked', { serial: p.view.staff.masked_serial })}</p> : null}
      <Keypad label={t('pin.field')} value={pin} onChange={setPin} keys="digits" max_length={8} masked testId="pin" />
    </Frame>
  );
}

function OpenShift(p: Props) {
  const { t } = useTranslation();
  const [amount, setAmount] = useState('');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('open_shift.submit')} disabled={amount === ''} onPress={() => p.send({ type: 'OPEN_SHIFT', opening_float_minor: Number(amount) })} testId="open-shift" variant="primary" />
          <Button label={t('menu.sign_out')} onPress={() => p.send({ type: 'SIGN_OUT' })} testId="sign-out" />
        </>
      }
    >
      <AmountEntry label={t('open_shift.float')} value={amount} onChange={setAmount} testId="float" />
    </Frame>
  );
}

function Menu(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('menu.top_up')} onPress={() => p.send({ type: 'TOP_UP' })} testId="top-up" variant="primary" />
          <Button label={t('menu.void')} disabled={!p.view.void_available} onPress={() => p.send({ type: 'VOID_LAST' })} testId="void-last" />
          <Button label={t('menu.replace')} onPress={() => p.send({ type: 'REPLACE_CARD' })} testId="replace-card" />
          <Button label={t('menu.close')} onPress={() => p.send({ type: 'CLOSE_SHIFT' })} testId="close-shift" />
          <Button label={t('menu.sign_out')} onPress={() => p.send({ type: 'SIGN_OUT' })} testId="sign-out" />
        </>
      }
    >
      {p.view.staff ? <p>{t('menu.signed_in', { serial: p.view.staff.masked_serial })}</p> : null}
    </Frame>
  );
}

function PresentCard(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame {...p} actions={cancel(p, t)}>
      <div className="reader-hint" aria-hidden="true" />
    </Frame>
  );
}

function CardLine({ view }: { view: AttendantView }) {
  const { t } = useTranslation();
  const money = useMoney();
  if (!view.card) return null;
  return (
    <p data-testid="card-summary">
      {t('card.masked', { serial: view.card.masked_serial })} — {t('balance.balance')}: {money(view.card.balance_minor)}
    </p>
  );
}

function Amount(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  const [amount, setAmount] = useState('');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('top_up.submit')} disabled={amount === ''} onPress={() => p.send({ type: 'AMOUNT_ENTERED', amount_minor: Number(amount) })} testId="amount-next" variant="primary" />
          {cancel(p, t)}
        </>
      }
    >
      <CardLine view={p.view} />
      <p>{t('top_up.max', { amount: money(p.view.limits.max_top_up_minor) })}</p>
      <AmountEntry label={t('amount.field')} value={amount} onChange={setAmount} testId="amount" />
    </Frame>
  );
}

function ConfirmTopUp(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('top_up.confirm', { amount: money(p.view.amount_minor ?? 0) })} onPress={() => p.send({ type: 'CONFIRM' })} testId="confirm" variant="primary" />
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" />
          {cancel(p, t)}
        </>
      }
    >
      <CardLine view={p.view} />
    </Frame>
  );
}

function ReplacementCode(p: Props) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('top_up.submit')} disabled={code.length !== 8} onPress={() => p.send({ type: 'CODE_ENTERED', code })} testId="code-next" variant="primary" />
          {cancel(p, t)}
        </>
      }
    >
      <Keypad label={t('replacement.code')} value={code} onChange={setCode} keys="alnum" max_length={8} testId="code" />
    </Frame>
  );
}

function ConfirmReplacement(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('replacement.confirm', { amount: money(p.view.amount_minor ?? 0) })} onPress={() => p.send({ type: 'CONFIRM' })} testId="confirm" variant="primary" />
          {cancel(p, t)}
        </>
      }
    >
      <CardLine view={p.view} />
    </Frame>
  );
}

function TxnDone(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame {...p} title={t(p.view.txn?.kind === 'void' ? 'txn.done_void' : 'txn.done_top_up')} actions={<Button label={t('common.ok')} onPress={() => p.send({ type: 'ACK' })} testId="ok" variant="primary" />}>
      {p.view.txn ? <p className="tx">{t('tx.id', { tx_id: p.view.txn.tx_id })}</p> : null}
    </Frame>
  );
}

function Uncertain(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame {...p} actions={<Button label={t('uncertain.cannot')} onPress={() => p.send({ type: 'ACK' })} testId="cannot-tap" />}>
      <div className="reader-hint" aria-hidden="true" />
    </Frame>
  );
}

function CountCash(p: Props) {
  const { t } = useTranslation();
  const [amount, setAmount] = useState('');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('count.submit')} disabled={amount === ''} onPress={() => p.send({ type: 'CASH_COUNTED', counted_minor: Number(amount) })} testId="count-submit" variant="primary" />
          {cancel(p, t)}
        </>
      }
    >
      <AmountEntry label={t('count.amount')} value={amount} onChange={setAmount} testId="count" />
    </Frame>
  );
}

function ShiftSummary(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  const c = p.view.close;
  return (
    <Frame {...p} actions={<Button label={t('common.ok')} onPress={() => p.send({ type: 'ACK' })} testId="ok" variant="primary" />}>
      {c ? (
        <ul className="summary" data-testid="shift-summary">
          <li>{t('summary.expected', { amount: money(c.expected_minor) })}</li>
          <li>{t('summary.counted', { amount: money(c.counted_minor) })}</li>
          <li>
            <strong>{c.over_short_minor === 0 ? t('summary.even') : t(c.over_short_minor > 0 ? 'summary.over' : 'summary.short', { amount: money(Math.abs(c.over_short_minor)) })}</strong>
          </li>
        </ul>
      ) : null}
    </Frame>
  );
}

export const ATTENDANT_SCREEN_COMPONENTS: Readonly<Record<AttendantScreenId, (p: Props) => ReactElement>> = {
  staffAttract: Plain,
  working: Plain,
  staffNotice: Acknowledge,
  pin: Pin,
  lockedOut: Plain,
  openShift: OpenShift,
  menu: Menu,
  presentCard: PresentCard,
  amount: Amount,
  confirmTopUp: ConfirmTopUp,
  replacementCode: ReplacementCode,
  confirmReplacement: ConfirmReplacement,
  processing: Plain,
  txnDone: TxnDone,
  uncertain: Uncertain,
  countCash: CountCash,
  shiftSummary: ShiftSummary,
};
