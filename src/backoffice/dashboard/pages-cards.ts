import { LostCardError, reportLostCard } from '../lost-card/replacements';
import { CARD_REF_PREFIX, cardHistory, exceptionsOfCard, searchCards } from './data';
import { localTime, money, shortRef } from './format';
import { html, type Html } from './html';
import { csrfField } from './layout';
import { PageError, exceptionTable, type PageKit } from './page-kit';

// One card reference's history across kiosks, search by prefix, reporting a card lost.
export function cardPages(kit: PageKit): void {
  const { scope, ctx, time_zone, anyone, admin, viewerOf, sendPage } = kit;
  // ---- cards
  scope.get('/cards', { preHandler: anyone }, async (req, reply) => {
    const v = viewerOf(req);
    const q = ((req.query as { q?: string }).q ?? '').trim().toLowerCase();
    let results: Html | string = '';
    if (q !== '') {
      if (!CARD_REF_PREFIX.test(q)) {
        results = html`<p class="error" role="alert">Type at least 8 hexadecimal digits (0–9, a–f) of the card reference.</p>`;
      } else {
        const found = await searchCards(ctx.store, q);
        if (found.length === 1) return reply.redirect(`/cards/${found[0]}`, 303);
        results =
          found.length === 0
            ? html`<p role="status">No card reference starts with <code>${q}</code>.</p>`
            : html`<h2>Card references starting with <code>${q}</code></h2><ul>${found.map((r) => html`<li><a class="mono" href="/cards/${r}">${r}</a></li>`)}</ul>`;
      }
    }
    return sendPage(reply, 200, 'Cards', html`${searchForm(q)}${results}`, v, '/cards');
  });

  scope.get('/cards/:card_ref', { preHandler: anyone }, async (req, reply) => {
    const v = viewerOf(req);
    const { card_ref } = req.params as { card_ref: string };
    if (!/^[0-9a-f]{32,64}$/.test(card_ref)) throw new PageError(404, 'No such card', 'A card reference is 32 lower-case hexadecimal digits.');
    const history = await cardHistory(ctx.store, card_ref);
    const exceptions = await exceptionsOfCard(ctx.store, card_ref);
    const rows = history.map(
      (h) => html`<tr>
<td class="num">${h.counter ?? '?'}</td><td>${localTime(h.at, time_zone)}</td><td>${h.kiosk_name ?? h.kiosk_id.slice(0, 12)}</td>
<td>${h.kind}</td><td>${h.service ?? ''}</td><td>${h.direction ?? ''}</td>
<td class="num">${h.amount_minor === null ? '' : money(h.amount_minor)}</td>
<td class="num">${h.balance_before_minor === null ? '' : money(h.balance_before_minor)}</td>
<td class="num">${h.balance_after_minor === null ? '' : money(h.balance_after_minor)}</td>
<td>${h.outcome ?? ''}</td><td><code>${h.tx_id ?? ''}</code></td>
</tr>`,
    );
    const body = html`${searchForm('')}
<p>Card reference <code>${card_ref}</code>. The back office holds card references only: no names.</p>
<table>
<caption>History by the card's own counter (${history.length} entries)</caption>
<thead><tr><th scope="col" class="num">Card counter</th><th scope="col">Time</th><th scope="col">Kiosk</th><th scope="col">Entry</th><th scope="col">Service</th><th scope="col">Direction</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance before</th><th scope="col" class="num">Balance after</th><th scope="col">Outcome</th><th scope="col">Transaction</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="11">No entry of this card has been synced.</td></tr>` : rows}</tbody>
</table>
<h2>Exceptions of this card (${exceptions.length})</h2>
${exceptionTable(exceptions, 'Exceptions naming this card')}
${
v.role === 'administrator'
  ? html`<h2>Lost card</h2><form method="post" action="/cards/${card_ref}/lost">${csrfField(v)}
<p>Hotlists this card and authorises its reconciled balance, once, for a replacement card at an attendant station (docs/lost-card.md).</p>
<p><button type="submit">Report lost and authorise a replacement</button></p></form>`
  : ''
}`;
    return sendPage(reply, 200, `Card ${shortRef(card_ref)}`, body, v, '/cards');
  });

  // A lost card: the same as `civicard admin lost-card`. Reported again while pending, the same code.
  scope.post('/cards/:card_ref/lost', { preHandler: admin }, async (req, reply) => {
    const { card_ref } = req.params as { card_ref: string };
    if (!/^[0-9a-f]{32}$/.test(card_ref)) throw new PageError(400, 'Nothing changed', 'A card reference is 32 lower-case hexadecimal digits.');
    let r;
    try {
      r = await reportLostCard(ctx.store, { card_ref, now: new Date(ctx.now()) });
    } catch (e) {
      if (e instanceof LostCardError) throw new PageError(400, 'Nothing changed', e.message);
      throw e;
    }
    ctx.log?.(`dashboard lost card: replacement=${r.id} by=${viewerOf(req).username}`);
    const body = html`<p class="notice" role="status">Card <code>${card_ref}</code> is on the hotlist (version ${r.hotlist_version}); kiosks refuse it from their next sync.</p>
<p>Replacement code for the attendant: <strong class="mono" data-testid="replacement-code">${r.code}</strong>, for ${money(r.amount_minor)} (${r.status}), the card's balance as of ${localTime(r.hotlisted_at, time_zone)}.</p>
<p><a href="/cards/${card_ref}">Back to the card</a></p>`;
    return sendPage(reply, 200, 'Lost card', body, viewerOf(req), '/cards');
  });

}

function searchForm(q: string): Html {
  return html`<form method="get" action="/cards" role="search">
<label for="q">Card reference (at least 8 hexadecimal digits)</label>
<input type="text" id="q" name="q" value="${q}" size="40" minlength="8" maxlength="64" pattern="[0-9a-fA-F]{8,64}" required>
<button type="submit">Find</button></form>`;
}

