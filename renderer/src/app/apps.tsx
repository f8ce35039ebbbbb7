// The two stations' UIs around their screens: language switch and voice
// toggle always visible, one live region for notices, the timeout dialog, and
// `lang` on the root following the view's language. Pure functions of a view
// and a `send`: main.tsx connects them to a transport, the tests render them.
import { useEffect, useRef, type ReactNode } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import type { i18n } from 'i18next';
import type { AttendantCommand, AttendantView, Language, ResidentCommand, ResidentView } from '../api/views';
import type { SpeakRequest } from '../../../src/shared/speech-api';
import { LanguageSwitch, NoticeRegion, SpeechToggle, TimeoutDialog, UiContext } from '../components/ui';
import { DEFAULT_DISPLAY, type DisplayConfig } from '../format/format';
import { LANGUAGE_TAGS } from '../i18n';
import { ATTENDANT_SCREENS, RESIDENT_SCREENS, UNKNOWN_SCREEN, type ScreenEntry } from '../screens/registry';
import { RESIDENT_SCREEN_COMPONENTS } from '../screens/resident';
import { ATTENDANT_SCREEN_COMPONENTS } from '../screens/attendant';
import { MaintenanceScreen } from '../screens/maintenance';

export interface Speech {
  on: boolean;
  toggle(): void;
  speak?(request: SpeakRequest): void;
}

interface ShellProps {
  station: 'resident' | 'attendant';
  i18n: i18n;
  language: Language;
  display?: DisplayConfig;
  timeout_warning: boolean;
  notice: { key: string; tx_id: string | null } | null;
  speech?: Speech;
  spoken: string[];
  onTouch(): void;
  onLanguage(language: Language): void;
  children: ReactNode;
}

/** Says the screen's text when it changes, if the resident turned the voice on. */
function useSpokenGuidance(speech: Speech | undefined, language: Language, text: string) {
  const last = useRef('');
  useEffect(() => {
    if (!speech?.on || !speech.speak || text === last.current) return;
    last.current = text;
    speech.speak({ text, language });
  }, [speech, language, text]);
}

function Chrome(props: Omit<ShellProps, 'i18n'>) {
  const { t } = useTranslation();
  const text = spokenText(props.spoken, t);
  useSpokenGuidance(props.speech, props.language, text);
  return (
    <div className={`kiosk kiosk-${props.station}`} lang={LANGUAGE_TAGS[props.language]} data-station={props.station} onPointerDown={props.onTouch}>
      <header className="topbar">
        <p className="app-name">{t('app.name')}</p>
        <LanguageSwitch current={props.language} onPick={props.onLanguage} />
        {props.speech?.speak ? <SpeechToggle on={props.speech.on} onToggle={props.speech.toggle} /> : null}
      </header>
      <main className="content">
        <NoticeRegion notice={props.notice} />
        {props.children}
      </main>
      <TimeoutDialog open={props.timeout_warning} onMore={props.onTouch} />
    </div>
  );
}

function Shell(props: ShellProps) {
  const { i18n: instance, ...rest } = props;
  if (instance.language !== props.language) void instance.changeLanguage(props.language);
  return (
    <I18nextProvider i18n={instance}>
      <UiContext.Provider value={{ language: props.language, display: props.display ?? DEFAULT_DISPLAY }}>
        <Chrome {...rest} />
      </UiContext.Provider>
    </I18nextProvider>
  );
}

/** One utterance from several keys: each ends as a sentence, so the voice pauses between them. */
export function spokenText(keys: string[], t: (key: string) => string): string {
  return keys.map((k) => t(k).trim()).map((s) => (/[.!?…:]$/.test(s) ? s : `${s}.`)).join(' ');
}

/** The message keys spoken for a screen: its title, its body, then the notice. */
export const spokenOf = (entry: ScreenEntry<string>, notice: { key: string } | null): string[] => [entry.title, ...(entry.body ? [entry.body] : []), ...(notice ? [notice.key] : [])];

export function ResidentApp(props: { view: ResidentView; send: (c: ResidentCommand) => void; i18n: i18n; display?: DisplayConfig; speech?: Speech }) {
  const { view, send } = props;
  const entry = RESIDENT_SCREENS[view.screen] ?? UNKNOWN_SCREEN;
  const Screen = RESIDENT_SCREEN_COMPONENTS[entry.id];
  const maintenance = view.maintenance ?? null;
  return (
    <Shell
      station="resident"
      i18n={props.i18n}
      language={view.language}
      display={props.display}
      timeout_warning={view.timeout_warning}
      notice={view.notice}
      speech={props.speech}
      spoken={maintenance ? ['maintenance.title'] : spokenOf(entry, view.notice)}
      onTouch={() => send({ type: 'TOUCH' })}
      onLanguage={(language) => send({ type: 'SET_LANGUAGE', language })}
    >
      {maintenance ? <MaintenanceScreen view={maintenance} state={view.screen} send={send} /> : <Screen key={view.screen} view={view} entry={entry} send={send} />}
    </Shell>
  );
}

export function AttendantApp(props: { view: AttendantView; send: (c: AttendantCommand) => void; i18n: i18n; display?: DisplayConfig; speech?: Speech }) {
  const { view, send } = props;
  const entry = ATTENDANT_SCREENS[view.screen] ?? UNKNOWN_SCREEN;
  const Screen = ATTENDANT_SCREEN_COMPONENTS[entry.id];
  return (
    <Shell
      station="attendant"
      i18n={props.i18n}
      language={view.language}
      display={props.display}
      timeout_warning={view.timeout_warning}
      notice={view.notice}
      speech={props.speech}
      spoken={spokenOf(entry, view.notice)}
      onTouch={() => send({ type: 'TOUCH' })}
      onLanguage={(language) => send({ type: 'SET_LANGUAGE', language })}
    >
      <Screen key={view.screen} view={view} entry={entry} send={send} />
    </Shell>
  );
}
