// The kiosk API over HTTP on loopback (src/kiosk/api): GET state, POST
// command, and the view stream as server-sent events. The stream is read with
// fetch, not EventSource, so the session token goes in the Authorization
// header and never in a URL; a dropped stream is reopened after a pause.
import type { SpeakRequest } from '../../../src/shared/speech-api';
import type { Transport } from './transport';

export interface HttpTransportOptions {
  /** e.g. http://127.0.0.1:7420 */
  base_url: string;
  token: string;
  /** '/api' for the resident kiosk. */
  base_path?: string;
  reconnect_ms?: number;
  fetch?: typeof fetch;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Splits a server-sent-event stream into the `data` of each event. */
export function sseEvents(): { push(chunk: string): string[] } {
  let buffer = '';
  return {
    push(chunk) {
      buffer += chunk.replace(/\r\n?/g, '\n');
      const out: string[] = [];
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
        if (data.length > 0) out.push(data.join('\n'));
      }
      return out;
    },
  };
}

export function httpTransport<View, Command>(opts: HttpTransportOptions): Transport<View, Command> {
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const base = `${opts.base_url.replace(/\/$/, '')}${opts.base_path ?? '/api'}`;
  const auth = { authorization: `Bearer ${opts.token}` };

  async function call(path: string, init: RequestInit = {}): Promise<unknown> {
    const res = await doFetch(`${base}${path}`, { ...init, headers: { ...auth, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    if (!res.ok) throw new ApiError(res.status, body?.error ?? `the kiosk answered ${res.status}`);
    return body;
  }

  return {
    state: async () => (await call('/state')) as View,
    command: async (command) => (await call('/command', { method: 'POST', body: JSON.stringify(command) })) as View,
    speak: async (request: SpeakRequest) => void (await call('/speak', { method: 'POST', body: JSON.stringify(request) })),
    subscribe(onView, onError) {
      const abort = new AbortController();
      const open = async (): Promise<void> => {
        while (!abort.signal.aborted) {
          try {
            const res = await doFetch(`${base}/events`, { headers: { ...auth, accept: 'text/event-stream' }, signal: abort.signal });
            if (!res.ok || !res.body) throw new ApiError(res.status, `the view stream answered ${res.status}`);
            const parser = sseEvents();
            const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              for (const data of parser.push(value)) onView(JSON.parse(data) as View);
            }
          } catch (e) {
            if (abort.signal.aborted) return;
            onError?.(e instanceof Error ? e : new Error(String(e)));
          }
          if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, opts.reconnect_ms ?? 1_000));
        }
      };
      void open();
      return () => abort.abort();
    },
  };
}
