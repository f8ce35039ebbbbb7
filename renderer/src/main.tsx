// Entry point: picks the transport (the Electron preload's `window.civicard`,
// else the loopback HTTP API with the session token from the URL fragment,
// which never reaches a server log), then renders the station's UI.
import { StrictMode, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { AttendantCommand, AttendantView, ResidentCommand, ResidentView } from './api/views';
import { httpTransport } from './api/http-transport';
import { ipcTransport, type Transport } from './api/transport';
import { AttendantApp, ResidentApp, type Speech } from './app/apps';
import { createI18n } from './i18n';
import './styles.css';

type Station = 'resident' | 'attendant';

function pickTransport(): { station: Station; transport: Transport<unknown, unknown> } {
  if (window.civicard) return { station: window.civicard.station, transport: ipcTransport(window.civicard) };
  const params = new URLSearchParams(window.location.hash.slice(1));
  const station: Station = params.get('station') === 'attendant' ? 'attendant' : 'resident';
  const transport = httpTransport({
    base_url: params.get('api') ?? window.location.origin,
    token: params.get('token') ?? '',
    base_path: station === 'attendant' ? '/api/attendant' : '/api',
  });
  return { station, transport };
}

function App({ station, transport }: { station: Station; transport: Transport<unknown, unknown> }) {
  const [view, setView] = useState<unknown>(null);
  const [voice, setVoice] = useState(false);
  const i18n = useMemo(() => createI18n('es'), []);
  // Views from the stream, counted: a command's answer is the view when the
  // command was taken, and the stream may already have brought a newer one
  // (a quote that came back at once); the older answer must not replace it.
  const streamed = useRef(0);
  useEffect(
    () =>
      transport.subscribe(
        (v) => {
          streamed.current += 1;
          setView(v);
        },
        (e) => console.warn('view stream:', e.message),
      ),
    [transport],
  );
  useEffect(() => {
    const language = (view as { language?: string } | null)?.language;
    if (language) document.documentElement.lang = { es: 'es-US', en: 'en-US', pt: 'pt-BR' }[language] ?? 'es';
  }, [view]);
  if (view === null) return null;
  const send = (command: unknown) => {
    const seen = streamed.current;
    void transport.command(command).then(
      (answer) => {
        if (streamed.current === seen) setView(answer);
      },
      (e: Error) => console.warn('command refused:', e.message),
    );
  };
  const speech: Speech = { on: voice, toggle: () => setVoice((v) => !v), ...(transport.speak ? { speak: (r) => void transport.speak!(r).catch(() => {}) } : {}) };
  return station === 'attendant' ? (
    <AttendantApp view={view as AttendantView} send={send as (c: AttendantCommand) => void} i18n={i18n} speech={speech} />
  ) : (
    <ResidentApp view={view as ResidentView} send={send as (c: ResidentCommand) => void} i18n={i18n} speech={speech} />
  );
}

const { station, transport } = pickTransport();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App station={station} transport={transport} />
  </StrictMode>,
);
