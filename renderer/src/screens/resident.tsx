// The resident kiosk's screens, one component per ScreenId (registry.ts says
// which machine state shows which). Nothing about the resident is shown beyond
// what this transaction needs: the card's masked serial and balance, and the
// patron's name only on the library choosing screen (from screen_params).
import { useState, type ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ResidentCommand, ResidentView } from '../api/views';
import { Button, Keypad, ScreenFrame, useMoney, useUi } from '../components/ui';
import { formatDate, formatTime } from '../format/format';
import { MaintenanceScreen } from './maintenance';
import type { ResidentScreenId, ScreenEntry } from './registry';

export interface ResidentScreenProps {
  view: ResidentView;
  entry: ScreenEntry<ResidentScreenId>;
  send: (command: ResidentCommand) => void;
}

type Props = ResidentScreenProps;

function Frame(props: Props & { children?: React.ReactNode; actions?: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <ScreenFrame id={props.entry.id} state={props.view.screen} title={t(props.entry.title)} body={props.entry.body ? t(props.entry.body) : undefined} actions={props.actions}>
      {props.children}
    </ScreenFrame>
  );
}

function CardSummary({ view }: { view: ResidentView }) {
  const { t } = useTranslation();
  const money = useMoney();
  const { language } = useUi();
  if (!view.card) return null;
  return (
    <dl className="card-summary" data-testid="card-summary">
      <dt>{t('balance.balance')}</dt>
      <dd className="balance" data-testid="balance">
        {money(view.card.balance_minor)}
      </dd>
      <dd>{t('card.masked', { serial: view.card.masked_serial })}</dd>
      <dd>{t('balance.expires', { date: formatDate(view.card.expires_on, language) })}</dd>
    </dl>
  );
}

function Attract(p: Props) {
  const { t } = useTranslation();
  return <Frame {...p} actions={<Button label={t('attract.start')} onPress={() => p.send({ type: 'TOUCH' })} testId="start" variant="primary" />} />;
}

function Plain(p: Props) {
  return <Frame {...p} />;
}

/** The staff card's screen: its figures once the core has them, "one moment" until then. */
function Maintenance(p: Props) {
  return p.view.maintenance ? <MaintenanceScreen view={p.view.maintenance} state={p.view.screen} send={p.send} /> : <Frame {...p} />;
}

function PresentCard(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame {...p} actions={<Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />}>
      <div className="reader-hint" aria-hidden="true" />
    </Frame>
  );
}

/** A notice screen the resident acknowledges (the notice itself is in the live region). */
function Acknowledge(p: Props) {
  const { t } = useTranslation();
  return <Frame {...p} actions={<Button label={t('common.ok')} onPress={() => p.send({ type: 'ACK' })} testId="ok" variant="primary" />} />;
}

function GoBack(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" variant="primary" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    />
  );
}

function Balance(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('balance.pay')} onPress={() => p.send({ type: 'CONTINUE' })} testId="pay-service" variant="primary" />
          <Button label={t('balance.history')} onPress={() => p.send({ type: 'SHOW_HISTORY' })} testId="history" />
          <Button label={t('common.finish')} onPress={() => p.send({ type: 'FINISH' })} testId="finish" />
        </>
      }
    >
      <CardSummary view={p.view} />
    </Frame>
  );
}

function History(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  const recent = p.view.card?.recent ?? [];
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" variant="primary" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    >
      {recent.length === 0 ? (
        <p>{t('history.empty')}</p>
      ) : (
        <ul className="history" data-testid="history-list">
          {recent.map((r) => (
            <li key={r.tx_tag}>
              <span>{t(r.direction === 'debit' ? 'history.debit' : 'history.credit')}</span> <strong>{money(r.direction === 'debit' ? -r.amount_minor : r.amount_minor)}</strong>{' '}
              <span>{t('history.balance_after', { amount: money(r.balance_after_minor) })}</span>
            </li>
          ))}
        </ul>
      )}
    </Frame>
  );
}

type Picked = 'library_fine' | 'parking_plate' | 'parking_space' | 'citation';

function referenceFor(picked: Picked, zone: string, value: string): { kind: 'library_fine' | 'parking' | 'citation'; reference: string } {
  if (picked === 'parking_plate') return { kind: 'parking', reference: `plate:${zone}/${value}` };
  if (picked === 'parking_space') return { kind: 'parking', reference: `space:${zone}/${value}` };
  return { kind: picked, reference: value };
}

function ChooseService(p: Props) {
  const { t } = useTranslation();
  const [picked, setPicked] = useState<Picked>('library_fine');
  const [zone, setZone] = useState('');
  const [value, setValue] = useState('');
  const parking = picked === 'parking_plate' || picked === 'parking_space';
  const ready = value.length > 0 && (!parking || zone.length > 0);
  const pick = (x: Picked) => {
    setPicked(x);
    setValue('');
  };
  const field = { library_fine: 'reference.library_fine', citation: 'reference.citation', parking_plate: 'reference.plate', parking_space: 'reference.space' } as const;
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('reference.submit')} disabled={!ready} onPress={() => p.send({ type: 'SELECT_SERVICE', ...referenceFor(picked, zone, value) })} testId="look-up" variant="primary" />
          <Button label={t('balance.history')} onPress={() => p.send({ type: 'SHOW_HISTORY' })} testId="history" />
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    >
      <div className="choices" role="group" aria-label={t('choose.title')}>
        <Button label={t('service.library_fine')} pressed={picked === 'library_fine'} onPress={() => pick('library_fine')} testId="service-library_fine" />
        <Button label={t('reference.by_plate')} pressed={picked === 'parking_plate'} onPress={() => pick('parking_plate')} testId="service-parking-plate" />
        <Button label={t('reference.by_space')} pressed={picked === 'parking_space'} onPress={() => pick('parking_space')} testId="service-parking-space" />
        <Button label={t('service.citation')} pressed={picked === 'citation'} onPress={() => pick('citation')} testId="service-citation" />
      </div>
      {parking ? <Keypad label={t('reference.zone')} value={zone} onChange={setZone} keys="alnum" max_length={8} testId="zone" /> : null}
      <Keypad label={t(field[picked])} value={value} onChange={setValue} keys={picked === 'library_fine' ? 'digits' : 'alnum'} max_length={20} testId="reference" />
    </Frame>
  );
}

function PatronPin(p: Props) {
  const { t } = useTranslation();
  const [pin, setPin] = useState('');
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('patron_pin.submit')} disabled={pin.length === 0} onPress={() => p.send({ type: 'SUBMIT_PIN', pin })} testId="submit-pin" variant="primary" />
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    >
      <Keypad label={t('patron_pin.field')} value={pin} onChange={setPin} keys="alnum" cased max_length={12} masked testId="pin" />
    </Frame>
  );
}

/** Option labels may carry an ISO instant (a parking end time): shown as a time of day. */
function useOptionLabel(): (key: string, params: Record<string, string | number>) => string {
  const { t } = useTranslation();
  const { language, display } = useUi();
  return (key, params) => {
    const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? formatTime(v, language, display) : v]));
    return t(key, { ...shown, defaultValue: t('quote.something') });
  };
}

function Choosing(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  const label = useOptionLabel();
  const quote = p.view.quote;
  const options = quote?.options ?? [];
  const multiple = quote?.multiple ?? false;
  const [chosen, setChosen] = useState<string[]>(() => {
    const pre = options.filter((o) => o.preselected).map((o) => o.id);
    return multiple ? pre : pre.slice(0, 1);
  });
  const toggle = (id: string) => setChosen((c) => (multiple ? (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]) : [id]));
  const total = options.filter((o) => chosen.includes(o.id)).reduce((s, o) => s + o.amount_minor, 0);
  const name = quote?.kind === 'library_fine' ? quote.screen_params?.patron_name : undefined;
  return (
    <ScreenFrame
      id="choosing"
      state={p.view.screen}
      title={t(multiple ? 'choosing.title' : 'choosing.title_one')}
      actions={
        <>
          <Button label={t('choosing.submit')} disabled={chosen.length === 0} onPress={() => p.send({ type: 'CHOOSE', option_ids: chosen })} testId="choose" variant="primary" />
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    >
      {name !== undefined ? <p data-testid="patron-name">{t('choosing.patron', { name })}</p> : null}
      <div className="options" role={multiple ? 'group' : 'radiogroup'} aria-label={t(multiple ? 'choosing.title' : 'choosing.title_one')}>
        {options.map((o) => (
          <button
            key={o.id}
            type="button"
            className="btn option"
            role={multiple ? 'checkbox' : 'radio'}
            aria-checked={chosen.includes(o.id)}
            data-testid={`option-${o.id}`}
            onClick={() => toggle(o.id)}
          >
            <span className="option-label">{label(o.label_key, o.label_params)}</span> <strong className="option-amount">{money(o.amount_minor)}</strong>
          </button>
        ))}
      </div>
      <p className="total" data-testid="choosing-total">
        {t('choosing.total', { amount: money(total) })}
      </p>
    </ScreenFrame>
  );
}

function Confirm(p: Props) {
  const { t } = useTranslation();
  const money = useMoney();
  const quote = p.view.quote;
  const amount = quote?.amount_minor ?? 0;
  const after = p.view.card ? p.view.card.balance_minor - amount : null;
  return (
    <Frame
      {...p}
      actions={
        <>
          <Button label={t('confirm.pay', { amount: money(amount) })} onPress={() => p.send({ type: 'CONFIRM' })} testId="confirm" variant="primary" />
          <Button label={t('common.back')} onPress={() => p.send({ type: 'BACK' })} testId="back" />
          <Button label={t('common.cancel')} onPress={() => p.send({ type: 'CANCEL' })} testId="cancel" />
        </>
      }
    >
      <dl className="quote">
        <dt>{quote ? t(quote.description_key, { defaultValue: t(`service.${quote.kind}`) }) : t('quote.something')}</dt>
        <dd className="amount" data-testid="quote-amount">
          {money(amount)}
        </dd>
        {after !== null && after >= 0 ? <dd>{t('confirm.balance_after', { amount: money(after) })}</dd> : null}
      </dl>
      <p data-testid="receipt-availability">{t(p.view.receipt_available === false ? 'confirm.receipt_no' : 'confirm.receipt_yes')}</p>
    </Frame>
  );
}

function Done(p: Props) {
  const { t } = useTranslation();
  return (
    <Frame {...p} actions={<Button label={t('common.finish')} onPress={() => p.send({ type: 'FINISH' })} testId="finish" variant="primary" />}>
      {p.view.payment ? <p className="tx">{t('tx.id', { tx_id: p.view.payment.tx_id })}</p> : null}
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

export const RESIDENT_SCREEN_COMPONENTS: Readonly<Record<ResidentScreenId, (p: Props) => ReactElement>> = {
  attract: Attract,
  starting: Plain,
  outOfService: Plain,
  presentCard: PresentCard,
  working: Plain,
  refused: Acknowledge,
  balance: Balance,
  history: History,
  chooseService: ChooseService,
  quoteRefused: GoBack,
  patronPin: PatronPin,
  choosing: Choosing,
  confirm: Confirm,
  insufficientFunds: GoBack,
  processing: Plain,
  serviceRefused: Acknowledge,
  noReceipt: Acknowledge,
  done: Done,
  notTaken: Acknowledge,
  uncertain: Uncertain,
  unresolved: Acknowledge,
  maintenance: Maintenance,
};
