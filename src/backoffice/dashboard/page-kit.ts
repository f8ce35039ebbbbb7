import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionTimes } from '../auth/sessions';
import type { BackOfficeStore } from '../db/connect';
import type { DashboardActions } from './actions';
import type { ExceptionRow } from './data';
import { shortRef } from './format';
import { html, type Html } from './html';
import type { Viewer } from './layout';

// What every group of dashboard pages is handed by routes.ts: the Fastify scope
// with its session guards, and the pieces more than one page shows.

export interface DashboardOptions {
  /** The back office's time zone: what "yesterday" and a business day mean. */
  time_zone?: string;
  /** Where reconciliation output lives: DIR/YYYY-MM-DD/summary.json, report.pdf, *.csv. */
  reports_dir?: string;
  /** Mark the cookies Secure (set when the dashboard is served over TLS, e.g. behind a proxy). */
  secure_cookies?: boolean;
  session?: Partial<SessionTimes>;
  actions?: DashboardActions;
}

export interface Context {
  store: BackOfficeStore;
  now: () => number;
  log?: (line: string) => void;
}

export type Form = Record<string, string>;

/** A refusal shown as a page with its status (the scope's error handler renders it). */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface PageKit {
  scope: FastifyInstance;
  ctx: Context;
  opts: DashboardOptions;
  time_zone: string;
  actions: DashboardActions;
  /** Any logged-in staff member (POSTs: with the session's CSRF token). */
  anyone: Guard;
  /** Administrators only. */
  admin: Guard;
  viewerOf: (req: FastifyRequest) => Viewer & { token: string };
  formOf: (req: FastifyRequest) => Form;
  sendPage: (reply: FastifyReply, status: number, title: string, body: Html, viewer?: Viewer, current?: string) => FastifyReply;
}

/** A day with more exceptions than this lists the most severe; the CSV download has all. */
const EXCEPTIONS_SHOWN = 500;

export function exceptionTable(list: ExceptionRow[], caption: string): Html {
  if (list.length === 0) return html`<p role="status">No exceptions.</p>`;
  const shown = list.slice(0, EXCEPTIONS_SHOWN);
  return html`${list.length > shown.length ? html`<p class="notice" role="status">The first ${shown.length} of ${list.length}, most severe first; exceptions.csv has them all.</p>` : ''}<table><caption>${caption}</caption>
<thead><tr><th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Kiosk</th><th scope="col">Card</th><th scope="col">What happened</th></tr></thead>
<tbody>${shown.map(
    (e) => html`<tr><td><span class="badge ${e.severity}">${e.severity}</span></td><td>${e.kind}</td><td>${e.kiosk_name ?? (e.kiosk_id === null ? '' : e.kiosk_id.slice(0, 12))}</td>
<td>${e.card_ref === null ? '' : html`<a class="mono" href="/cards/${e.card_ref}">${shortRef(e.card_ref)}</a>`}</td><td>${e.explanation}</td></tr>`,
  )}</tbody></table>`;
}
