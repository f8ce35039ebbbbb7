// Small accessible building blocks. No UI kit: the kiosk needs a dozen
// controls, each a native <button> with a visible label (its accessible name),
// ≥ 64 px targets from the CSS, and state exposed with aria-pressed/aria-live.
import { createContext, useContext, useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Language } from '../api/views';
import { DEFAULT_DISPLAY, formatMoney, type DisplayConfig } from '../format/format';
import { LANGUAGE_TAGS } from '../i18n';

export interface Ui {
  language: Language;
  display: DisplayConfig;
}
export const UiContext = createContext<Ui>({ language: 'es', display: DEFAULT_DISPLAY });
export const useUi = () => useContext(UiContext);

export function useMoney(): (amount_minor: number) => string {
  const { language, display } = useUi();
  return (amount_minor) => formatMoney(amount_minor, language, display);
}

export type ButtonVariant = 'primary' | 'secondary' | 'danger';

export function Button(props: { label: string; onPress: () => void; testId: string; variant?: ButtonVariant; disabled?: boolean; pressed?: boolean; lang?: string; autoFocus?: boolean }) {
  return (
    <button
      type="button"
      className={`btn btn-${props.variant ?? 'secondary'}`}
      data-testid={props.testId}
      disabled={props.disabled}
      aria-pressed={props.pressed}
      lang={props.lang}
      autoFocus={props.autoFocus}
      onClick={props.onPress}
    >
      {props.label}
    </button>
  );
}

/** The root of every screen: `data-screen` names the screen, `data-state` the machine state, for tests. */
export function ScreenFrame(props: { id: string; state: string; title: string; body?: string; children?: ReactNode; actions?: ReactNode }) {
  const titleId = useId();
  return (
    <section className={`screen screen-${props.id}`} data-screen={props.id} data-state={props.state} aria-labelledby={titleId}>
      <h1 id={titleId} className="screen-title">
        {props.title}
      </h1>
      {props.body ? <p className="screen-body">{props.body}</p> : null}
      <div className="screen-content">{props.children}</div>
      {props.actions ? <div className="actions">{props.actions}</div> : null}
    </section>
  );
}

/** One polite live region, always in the page, so screen readers announce each new notice. */
export function NoticeRegion(props: { notice: { key: string; tx_id: string | null } | null }) {
  const { t } = useTranslation();
  return (
    <div className={props.notice ? 'notice' : 'notice notice-empty'} role="status" aria-live="polite" aria-atomic="true" aria-label={t('notice.label')} data-testid="notice">
      {props.notice ? (
        <>
          <p className="notice-text">{t(props.notice.key)}</p>
          {props.notice.tx_id ? <p className="notice-tx">{t('tx.id', { tx_id: props.notice.tx_id })}</p> : null}
        </>
      ) : null}
    </div>
  );
}

/** Shown while the core says the screen is about to time out: one big button extends it. */
export function TimeoutDialog(props: { open: boolean; onMore: () => void }) {
  const { t } = useTranslation();
  const titleId = useId();
  const bodyId = useId();
  if (!props.open) return null;
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId} data-testid="timeout-dialog">
        <h2 id={titleId}>{t('timeout.title')}</h2>
        <p id={bodyId}>{t('timeout.body')}</p>
        <Button label={t('timeout.more')} onPress={props.onMore} testId="timeout-more" variant="primary" autoFocus />
      </div>
    </div>
  );
}

const LANGUAGE_ORDER: readonly Language[] = ['es', 'en', 'pt'];

/** Always on screen: each language named in itself, the current one pressed. */
export function LanguageSwitch(props: { current: Language; onPick: (language: Language) => void }) {
  const { t } = useTranslation();
  return (
    <nav className="language-switch" aria-label={t('lang.label')}>
      {LANGUAGE_ORDER.map((lng) => (
        <Button key={lng} label={t(`lang.${lng}`)} lang={LANGUAGE_TAGS[lng]} testId={`language-${lng}`} pressed={props.current === lng} onPress={() => props.onPick(lng)} />
      ))}
    </nav>
  );
}

export function SpeechToggle(props: { on: boolean; onToggle: () => void }) {
  const { t } = useTranslation();
  return (
    // The name is the visible label (WCAG 2.5.3, label in name); the state is aria-pressed, its words shown but not read twice.
    <button type="button" className="btn btn-secondary speech-toggle" data-testid="speech-toggle" aria-pressed={props.on} onClick={props.onToggle}>
      {t('speech.label')}
      <span aria-hidden="true"> · {props.on ? t('speech.on') : t('speech.off')}</span>
    </button>
  );
}

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];
const LETTERS = 'QWERTYUIOPASDFGHJKLZXCVBNM'.split('');

/**
 * An on-screen keyboard with its field. `masked` shows dots (PINs) and never
 * puts the value in an attribute; the field is a live region so each key is
 * confirmed to screen-reader users.
 */
export function Keypad(props: { label: string; value: string; onChange: (v: string) => void; keys: 'digits' | 'alnum'; max_length: number; masked?: boolean; display?: string; testId: string }) {
  const { t } = useTranslation();
  const labelId = useId();
  const press = (k: string) => props.value.length < props.max_length && props.onChange(props.value + k);
  const shown = props.display ?? (props.masked ? '•'.repeat(props.value.length) : props.value);
  const keys = props.keys === 'digits' ? DIGITS : [...DIGITS, ...LETTERS];
  return (
    <div className={`keypad keypad-${props.keys}`} data-testid={props.testId}>
      <p id={labelId} className="keypad-label">
        {props.label}
      </p>
      <output className="keypad-field" aria-labelledby={labelId} aria-live="polite" data-testid={`${props.testId}-field`}>
        {shown}
      </output>
      <div className="keypad-keys" role="group" aria-label={t('keyboard.label')}>
        {keys.map((k) => (
          <button key={k} type="button" className="btn key" data-testid={`${props.testId}-key-${k}`} aria-label={t('keyboard.key', { key: k })} onClick={() => press(k)}>
            {k}
          </button>
        ))}
        <button type="button" className="btn key key-wide" data-testid={`${props.testId}-delete`} aria-label={t('keyboard.delete')} onClick={() => props.onChange(props.value.slice(0, -1))}>
          ⌫
        </button>
        <button type="button" className="btn key key-wide" data-testid={`${props.testId}-clear`} onClick={() => props.onChange('')}>
          {t('keyboard.clear')}
        </button>
      </div>
    </div>
  );
}

/** Digits typed as minor units, shown as money while typing ("1", "12", "1250" → $12.50). */
export function AmountEntry(props: { label: string; value: string; onChange: (v: string) => void; testId: string }) {
  const money = useMoney();
  return <Keypad label={props.label} value={props.value} onChange={(v) => props.onChange(v.replace(/^0+/, ''))} keys="digits" max_length={8} display={money(Number(props.value || '0'))} testId={props.testId} />;
}
