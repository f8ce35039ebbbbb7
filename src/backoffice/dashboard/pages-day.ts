import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { exceptionsOfDay, readSummary, REPORT_FILES, reportDir, reportFilesOf, type SummaryView } from './data';
import { isDate, localDate, localTime, money, nextDate, previousDate } from './format';
import { html, type Html } from './html';
import { csrfField, type Viewer } from './layout';
import { PageError, exceptionTable, type PageKit } from './page-kit';

// The day: totals and the liability equation from the reconciliation output,
// the day's exceptions, report downloads, and running a reconciliation.
export function dayPages(kit: PageKit): void {
  const { scope, ctx, opts, time_zone, actions, anyone, admin, viewerOf, formOf, sendPage } = kit;
  /** One reconciliation at a time from the dashboard (the date running). */
  let reconciling: string | null = null;

  // ---- the day
  scope.get('/dashboard', { preHandler: anyone }, async (req, reply) => {
    const q = req.query as { date?: string };
    const date = q.date === undefined || q.date === '' ? previousDate(localDate(ctx.now(), time_zone)) : q.date;
    if (!isDate(date)) throw new PageError(400, 'Not a date', 'Give the date as YYYY-MM-DD, e.g. 2025-03-04.');
    const v = viewerOf(req);
    const summary = opts.reports_dir === undefined ? null : readSummary(opts.reports_dir, date);
    const files = opts.reports_dir === undefined ? [] : reportFilesOf(opts.reports_dir, date);
    const exceptions = await exceptionsOfDay(ctx.store, date, time_zone);
    const body = html`
<form method="get" action="/dashboard" class="notice">
<label for="date">Business day (${time_zone})</label>
<input type="date" id="date" name="date" value="${date}" required>
<button type="submit">Show</button>
<a href="/dashboard?date=${previousDate(date)}">Previous day</a> · <a href="/dashboard?date=${nextDate(date)}">Next day</a>
</form>
${summaryView(summary, date, v)}
${files.length === 0 ? '' : html`<h2>Downloads</h2><ul>${files.map((f) => html`<li><a href="/reports/${date}/${f}" download>${f}</a></li>`)}</ul>`}
<h2 id="exceptions">Exceptions (${exceptions.length})</h2>
${exceptionTable(exceptions, `Exceptions of ${date}`)}`;
    return sendPage(reply, 200, `The day: ${date}`, body, v, '/dashboard');
  });

  scope.get('/reports/:date/:file', { preHandler: anyone }, async (req, reply) => {
    const { date, file } = req.params as { date: string; file: string };
    if (opts.reports_dir === undefined || !isDate(date) || !REPORT_FILES.includes(file)) throw new PageError(404, 'No such report', 'There is no such report file.');
    const path = join(reportDir(opts.reports_dir, date), file);
    if (!existsSync(path)) throw new PageError(404, 'No such report', `The ${date} reconciliation has no ${file} (not reconciled yet?).`);
    const type = file.endsWith('.pdf') ? 'application/pdf' : file.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/json';
    return reply.type(type).header('content-disposition', `attachment; filename="civicard-${date}-${file}"`).send(createReadStream(path));
  });

  scope.post('/reconcile', { preHandler: admin }, async (req, reply) => {
    const date = formOf(req).date;
    if (!isDate(date)) throw new PageError(400, 'Not a date', 'Give the date as YYYY-MM-DD.');
    if (actions.reconcile === undefined || opts.reports_dir === undefined) throw new PageError(503, 'Not available', 'This server was started without reconciliation; run civicard reconcile from the command line.');
    if (reconciling !== null) throw new PageError(409, 'Reconciliation running', `The reconciliation of ${reconciling} is running now. Reload the day in a minute.`);
    ctx.log?.(`dashboard reconcile: date=${date} by=${viewerOf(req).username}`);
    reconciling = date;
    try {
      await actions.reconcile(date);
    } finally {
      reconciling = null;
    }
    return reply.redirect(`/dashboard?date=${date}`, 303);
  });



  function summaryView(summary: SummaryView | { unreadable: string } | null, date: string, v: Viewer): Html {
    if (summary === null) {
      return html`<h2>Totals</h2><p class="notice" role="status">Not reconciled yet: the totals appear once the ${date} reconciliation has run.</p>${
        v.role === 'administrator' && actions.reconcile !== undefined && opts.reports_dir !== undefined
          ? html`<form method="post" action="/reconcile">${csrfField(v)}<input type="hidden" name="date" value="${date}"><button type="submit">Reconcile ${date} now</button></form>`
          : ''
      }`;
    }
    if ('unreadable' in summary) return html`<h2>Totals</h2><p class="error" role="alert">The reconciliation output of ${date} cannot be read: ${summary.unreadable}</p>`;
    const t = summary.totals;
    const l = summary.liability;
    return html`<p>Reconciled ${localTime(summary.generated_at, time_zone)}.</p>
<div class="grid">
<div class="card"><table><caption>Totals of the day</caption><tbody>
<tr><th scope="row">Transactions</th><td class="num">${t.transactions}</td></tr>
<tr><th scope="row">Debits (payments)</th><td class="num">${money(t.payments_minor)}</td></tr>
<tr><th scope="row">Top-ups</th><td class="num">${money(t.top_ups_minor)}</td></tr>
<tr><th scope="row">Opening balances</th><td class="num">${money(t.opening_balances_minor)}</td></tr>
<tr><th scope="row">Voids</th><td class="num">${money(t.voids_minor)}</td></tr>
<tr><th scope="row">Credit-backs</th><td class="num">${money(t.credit_backs_minor)}</td></tr>
<tr><th scope="row">Refunds</th><td class="num">${money(t.refunds_minor)}</td></tr>
<tr><th scope="row">Cash taken</th><td class="num">${money(t.cash_taken_minor)}</td></tr>
</tbody></table></div>
<div class="card"><table><caption>Card liability: ${l.holds ? 'the equation holds' : html`<span class="badge critical">the equation does not hold</span>`}</caption><tbody>
<tr><th scope="row">At start of day</th><td class="num">${money(l.start_minor)}</td></tr>
<tr><th scope="row">+ top-ups</th><td class="num">${money(l.top_ups_minor)}</td></tr>
<tr><th scope="row">+ opening balances</th><td class="num">${money(l.opening_balances_minor)}</td></tr>
<tr><th scope="row">− payments</th><td class="num">${money(l.payments_minor)}</td></tr>
<tr><th scope="row">− voids</th><td class="num">${money(l.voids_minor)}</td></tr>
<tr><th scope="row">+ credit-backs</th><td class="num">${money(l.credit_backs_minor)}</td></tr>
<tr><th scope="row">= expected at end</th><td class="num">${money(l.expected_end_minor)}</td></tr>
<tr><th scope="row">At end of day (cards)</th><td class="num">${money(l.end_minor)}</td></tr>
<tr><th scope="row">Difference</th><td class="num">${money(l.difference_minor)}</td></tr>
</tbody></table></div>
</div>
<table><caption>Debits by service</caption>
<thead><tr><th scope="col">Service</th><th scope="col" class="num">Payments</th><th scope="col" class="num">Gross</th><th scope="col" class="num">Credit-backs</th><th scope="col" class="num">Refunds</th><th scope="col" class="num">Net</th></tr></thead>
<tbody>${summary.revenue.by_service.map((s) => html`<tr><td>${s.service}</td><td class="num">${s.payments}</td><td class="num">${money(s.gross_minor)}</td><td class="num">${money(s.credit_backs_minor)}</td><td class="num">${money(s.refunds_minor)}</td><td class="num">${money(s.net_minor)}</td></tr>`)}</tbody>
</table>`;
  }

}
