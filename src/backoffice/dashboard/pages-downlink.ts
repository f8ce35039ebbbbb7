import { localTime, shortRef } from './format';
import { html, type Html } from './html';
import { csrfField } from './layout';
import { PageError, type PageKit } from './page-kit';

// The hotlist and configuration bundles the back office publishes to kiosks (docs/downlink.md).
export function downlinkPages(kit: PageKit): void {
  const { scope, ctx, time_zone, actions, anyone, admin, viewerOf, formOf, sendPage } = kit;
  // ---- hotlist and configuration (published to kiosks by downlink)
  scope.get('/hotlist', { preHandler: anyone }, async (req, reply) => {
    const v = viewerOf(req);
    const d = actions.downlink;
    if (d === undefined) return sendPage(reply, 200, 'Hotlist', notAvailable('the hotlist'), v, '/hotlist');
    const list = await d.hotlist();
    const changed = (req.query as { changed?: string }).changed;
    const body = html`${changed === undefined ? '' : html`<p class="notice" role="status">Hotlist is now version ${changed}; kiosks pick it up at their next sync.</p>`}
<table>
<caption>Cards refused at every kiosk (hotlist version ${list.version})</caption>
<thead><tr><th scope="col">Card reference</th><th scope="col">Actions</th></tr></thead>
<tbody>${
      list.card_refs.length === 0
        ? html`<tr><td colspan="2">The hotlist is empty.</td></tr>`
        : list.card_refs.map(
            (r) => html`<tr><td><a class="mono" href="/cards/${r}">${r}</a></td><td>${
              v.role === 'administrator'
                ? html`<form class="inline" method="post" action="/hotlist">${csrfField(v)}<input type="hidden" name="action" value="remove"><input type="hidden" name="card_ref" value="${r}"><button type="submit" class="secondary" aria-label="Take ${shortRef(r)} off the hotlist">Take off</button></form>`
                : ''
            }</td></tr>`,
          )
    }</tbody></table>
${
v.role === 'administrator'
  ? html`<h2>Add a card</h2><form method="post" action="/hotlist">${csrfField(v)}<input type="hidden" name="action" value="add">
<label for="card_ref">Card reference (32 hexadecimal digits)</label><input type="text" id="card_ref" name="card_ref" size="40" pattern="[0-9a-f]{32}" required>
<p><button type="submit">Add to hotlist</button></p></form>`
  : ''
}`;
    return sendPage(reply, 200, 'Hotlist', body, v, '/hotlist');
  });

  scope.post('/hotlist', { preHandler: admin }, async (req, reply) => {
    const d = actions.downlink;
    if (d === undefined) throw new PageError(503, 'Not available', 'This server does not publish a hotlist.');
    const form = formOf(req);
    if (form.action !== 'add' && form.action !== 'remove') throw new PageError(400, 'Hotlist unchanged', 'Choose add or remove.');
    const card_ref = (form.card_ref ?? '').trim().toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(card_ref)) throw new PageError(400, 'Hotlist unchanged', 'A card reference is 32 hexadecimal digits; nothing was changed.');
    let version: number;
    try {
      version = await d.changeHotlist(form.action, card_ref, new Date(ctx.now()));
    } catch (e) {
      throw new PageError(400, 'Hotlist unchanged', e instanceof Error ? e.message : String(e));
    }
    ctx.log?.(`dashboard hotlist ${form.action}: version=${version} by=${viewerOf(req).username}`);
    return reply.redirect(`/hotlist?changed=${version}`, 303);
  });

  scope.get('/config', { preHandler: anyone }, async (req, reply) => {
    const v = viewerOf(req);
    const d = actions.downlink;
    if (d === undefined) return sendPage(reply, 200, 'Configuration', notAvailable('configuration bundles'), v, '/config');
    const latest = await d.latestBundle();
    const published = (req.query as { published?: string }).published;
    const body = html`${published === undefined ? '' : html`<p class="notice" role="status">Configuration version ${published} published; kiosks pick it up at their next sync.</p>`}
${latest === null ? html`<p>No configuration has been published yet.</p>` : html`<h2>Current: version ${latest.version}, published ${localTime(latest.published_at, time_zone)}</h2><pre class="mono">${latest.contents_json}</pre>`}
${
v.role === 'administrator'
  ? html`<h2>Publish a new version</h2><form method="post" action="/config">${csrfField(v)}
<label for="contents">Bundle contents (JSON)</label><textarea id="contents" name="contents" rows="14" required>${latest?.contents_json ?? ''}</textarea>
<p><button type="submit">Sign and publish</button></p></form>`
  : ''
}`;
    return sendPage(reply, 200, 'Configuration', body, v, '/config');
  });

  scope.post('/config', { preHandler: admin }, async (req, reply) => {
    const d = actions.downlink;
    if (d === undefined) throw new PageError(503, 'Not available', 'This server does not publish configuration.');
    let contents: unknown;
    try {
      contents = JSON.parse(formOf(req).contents ?? '');
    } catch (e) {
      throw new PageError(400, 'Nothing published', `The contents are not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    let version: number;
    try {
      version = await d.publishBundle(contents, new Date(ctx.now()));
    } catch (e) {
      throw new PageError(400, 'Nothing published', e instanceof Error ? e.message : String(e));
    }
    ctx.log?.(`dashboard config published: version=${version} by=${viewerOf(req).username}`);
    return reply.redirect(`/config?published=${version}`, 303);
  });

}

function notAvailable(what: string): Html {
  return html`<p class="notice" role="status">This server does not publish ${what}. Start it with the back office's signing key to manage ${what} here.</p>`;
}
