// npm run bench:ui — the kiosk's UI in real Chromium against the web shell
// (simulated kiosk, cards through pcscd + vpcd), two figures with p50/p95:
//
//  1. first paint after start, over BENCH_STARTS starts: the core and the web
//     shell started, Chromium launched, the kiosk page loaded, until its first
//     contentful paint (the attract screen: the page paints nothing before the
//     first view). Baseline in the same run: the same browser's first paint of
//     a static one-line page on loopback.
//  2. card tap → balance on screen, over BENCH_TAPS taps: from the simulator's
//     tap request to the balance screen showing the card's balance (DOM
//     changed, and the frame after). Baseline in the same run: the same taps
//     seen by the API's own view stream (SSE) without a browser.
//
// Prints one JSON object on stdout. pcscd is started and stopped here: run it
// alone (flock /tmp/civicard-pcscd.lock npm run bench:ui).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from '../support/chromium';
import { ensureRendererBuilt } from '../support/renderer-page';
import { startWebShell, type TestWebShell } from '../support/web-shell';

const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const TAPS = Number(process.env.BENCH_TAPS ?? 20);

const epochNow = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

function summary(samples_ms: number[]) {
  const sorted = [...samples_ms].sort((a, b) => a - b);
  return { n: sorted.length, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95) };
}

/** The page's first contentful paint: its time from navigation start, and as an epoch time. */
async function firstContentfulPaint(page: Page): Promise<{ fcp_ms: number; at_epoch_ms: number }> {
  return page.evaluate(
    () =>
      new Promise<{ fcp_ms: number; at_epoch_ms: number }>((resolve) => {
        new PerformanceObserver((list) => {
          const fcp = list.getEntries().find((e) => e.name === 'first-contentful-paint');
          if (fcp) resolve({ fcp_ms: fcp.startTime, at_epoch_ms: performance.timeOrigin + fcp.startTime });
        }).observe({ type: 'paint', buffered: true });
      }),
  );
}

async function measureStarts(): Promise<{ start_to_first_paint: number[]; fcp: number[]; shell_start: number[]; browser_launch: number[] }> {
  const out = { start_to_first_paint: [] as number[], fcp: [] as number[], shell_start: [] as number[], browser_launch: [] as number[] };
  for (let i = 0; i < STARTS; i++) {
    const t0 = epochNow();
    const shell = await startWebShell({ pcscd: true, attendant: false });
    const t1 = epochNow();
    const chromium = await launchChromium();
    const t2 = epochNow();
    try {
      const page = await chromium.newPage();
      await page.goto(shell.url);
      await page.locator('[data-screen="attract"]').waitFor();
      const { fcp_ms, at_epoch_ms } = await firstContentfulPaint(page);
      out.shell_start.push(t1 - t0);
      out.browser_launch.push(t2 - t1);
      out.fcp.push(fcp_ms);
      out.start_to_first_paint.push(at_epoch_ms - t0);
    } finally {
      await chromium.close();
      await shell.stop();
    }
  }
  return out;
}

async function measureStaticPage(chromium: Chromium): Promise<number[]> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>baseline</title><p>Civicard</p></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const samples: number[] = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      const page = await chromium.newPage();
      await page.goto(url);
      samples.push((await firstContentfulPaint(page)).fcp_ms);
      await page.close();
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return samples;
}

/** The API's view stream, read without a browser: resolves at the first view on `screen` after it is armed. */
function viewStream(shell: TestWebShell) {
  const abort = new AbortController();
  const waiting: { current: { screen: string; resolve: (at: number) => void } | null } = { current: null };
  const ready = (async () => {
    const res = await fetch(`${shell.apiBase}/api/events`, { headers: { authorization: `Bearer ${shell.token}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        const at = epochNow();
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const screen = (JSON.parse(event.replace(/^data: /, '')) as { screen: string }).screen;
          if (waiting.current && screen === waiting.current.screen) {
            waiting.current.resolve(at);
            waiting.current = null;
          }
        }
      }
    })();
  })();
  return {
    ready,
    next: (screen: string) => new Promise<number>((resolve) => (waiting.current = { screen, resolve })),
    close: () => abort.abort(),
  };
}

async function call(shell: TestWebShell, via: 'api' | 'sim', path: string, body?: unknown): Promise<void> {
  const { status, body: answer } = await shell[via](path, body);
  if (status !== 200) throw new Error(`${path}: ${status} ${JSON.stringify(answer)}`);
}

async function kioskAt(shell: TestWebShell, screen: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (((await shell.api('/api/state')).body as { screen: string }).screen !== screen) {
    if (Date.now() > deadline) throw new Error(`the kiosk did not reach ${screen}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Card tap → balance screen: in the browser (DOM change and the frame after), and on the API's own stream. */
async function measureTaps(chromium: Chromium) {
  const shell = await startWebShell({ pcscd: true, attendant: false });
  const dom: number[] = [];
  const frame: number[] = [];
  const sse: number[] = [];
  try {
    const page = await chromium.newPage();
    await page.goto(shell.url);
    await page.locator('[data-screen="attract"]').waitFor();
    const stream = viewStream(shell);
    await stream.ready;
    for (let i = 0; i < TAPS; i++) {
      await call(shell, 'api', '/api/command', { type: 'TOUCH' });
      await page.locator('[data-state="session.waitingForCard"]').waitFor();
      // Armed in the page before the tap: the moment the balance is in the DOM, and the next frame.
      const shown = page.evaluate(
        () =>
          new Promise<{ dom: number; frame: number }>((resolve) => {
            // no named functions in here: tsx would wrap them in a helper the page does not have
            const observer = new MutationObserver(() => {
              if (!document.querySelector('[data-state="session.balanceShown"] [data-testid="balance"]')?.textContent?.trim()) return;
              observer.disconnect();
              const dom = performance.timeOrigin + performance.now();
              requestAnimationFrame(() => resolve({ dom, frame: performance.timeOrigin + performance.now() }));
            });
            observer.observe(document.body, { childList: true, subtree: true, characterData: true });
          }),
      );
      const onStream = stream.next('session.balanceShown');
      const t0 = epochNow();
      await call(shell, 'sim', '/sim/card/present', { card: 'BENCH' });
      const [at, streamAt] = await Promise.all([shown, onStream]);
      dom.push(at.dom - t0);
      frame.push(at.frame - t0);
      sse.push(streamAt - t0);
      await call(shell, 'sim', '/sim/card/withdraw', {});
      await call(shell, 'api', '/api/command', { type: 'CANCEL' });
      await kioskAt(shell, 'idle');
    }
    stream.close();
  } finally {
    await shell.stop();
  }
  return { dom, frame, sse };
}

async function main(): Promise<void> {
  ensureRendererBuilt();
  const starts = await measureStarts();
  const chromium = await launchChromium();
  try {
    const staticFcp = await measureStaticPage(chromium);
    const taps = await measureTaps(chromium);
    const result = {
      bench: 'ui',
      chromium: '/usr/bin/chromium (headless, playwright-core)',
      cards: 'pcscd + vpcd',
      first_paint: {
        starts: STARTS,
        start_to_first_paint: summary(starts.start_to_first_paint),
        of_which_shell_start: summary(starts.shell_start),
        of_which_browser_launch: summary(starts.browser_launch),
        kiosk_page_fcp: summary(starts.fcp),
        baseline_static_page_fcp: summary(staticFcp),
      },
      tap_to_balance: {
        taps: TAPS,
        screen_dom: summary(taps.dom),
        screen_next_frame: summary(taps.frame),
        baseline_api_sse_view: summary(taps.sse),
        ui_over_api_p50_ms: Math.round((summary(taps.frame).p50_ms - summary(taps.sse).p50_ms) * 10) / 10,
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await chromium.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
