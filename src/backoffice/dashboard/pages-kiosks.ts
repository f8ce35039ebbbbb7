import { EnrollmentError, enrollKiosk, revokeKiosk } from '../auth/enrollment';
import { kioskHealth } from './data';
import { age, localTime } from './format';
import { html } from './html';
import { csrfField } from './layout';
import { PageError, type PageKit } from './page-kit';

// Kiosk health (last sync, what a kiosk still holds) and enrollment.
export function kioskPages(kit: PageKit): void {
  const { scope, ctx, time_zone, anyone, admin, viewerOf, formOf, sendPage } = kit;
  // ---- kiosks
  scope.get('/kiosks', { preHandler: anyone }, async (req, reply) => {
    const v = viewerOf(req);
    const q = req.query as { enrolled?: string; revoked?: string };
    const now = ctx.now();
    const kiosks = await kioskHealth(ctx.store, now);
    const notice =
      q.enrolled !== undefined
        ? html`<p class="notice" role="status">Kiosk enrolled. Its kiosk ID is <code>${q.enrolled}</code>: configure the kiosk with this back office and it may sync from now on.</p>`
        : q.revoked !== undefined
          ? html`<p class="notice" role="status">Kiosk <code>${q.revoked}</code> revoked: its requests are refused from now on; its entries already held stay.</p>`
          : '';
    const rows = kiosks.map((k) => {
      const lastSync = k.last_sync_at === null ? 'never' : `${localTime(k.last_sync_at, time_zone)} (${age(now - Date.parse(k.last_sync_at))} ago)`;
      const word = { green: 'Synced within the hour', amber: 'No sync for over an hour', red: k.last_sync_at === null ? 'Never synced' : 'No sync for over a day' }[k.freshness];
      const unsynced = k.outbox === null ? 'unknown (the kiosk does not report it)' : String(k.outbox.unsynced);
      const oldest = k.outbox === null ? 'unknown' : k.outbox.oldest_at === null ? '—' : `${age(now - Date.parse(k.outbox.oldest_at))} (as of ${localTime(k.outbox.reported_at, time_zone)})`;
      return html`<tr>
<td>${k.name ?? '(no name)'}<br><code>${k.kiosk_id}</code></td>
<td>${k.status}</td>
<td><span class="badge ${k.freshness}">${word}</span><br>${lastSync}</td>
<td class="num">${k.last_seq}</td>
<td>${unsynced}</td>
<td>${oldest}</td>
<td>${v.role === 'administrator' && k.status === 'active' ? html`<form class="inline" method="post" action="/kiosks/${k.kiosk_id}/revoke">${csrfField(v)}<button type="submit" class="secondary" aria-label="Revoke ${k.name ?? k.kiosk_id}">Revoke</button></form>` : ''}</td>
</tr>`;
    });
    const body = html`${notice}
<table>
<caption>Kiosk health at ${localTime(now, time_zone)} (${time_zone}). Green: synced within the hour; amber: within a day; red: longer, or never.</caption>
<thead><tr><th scope="col">Kiosk</th><th scope="col">Status</th><th scope="col">Last sync</th><th scope="col" class="num">Last entry held</th><th scope="col">Unsynced entries</th><th scope="col">Oldest unsynced</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="7">No kiosk is enrolled yet.</td></tr>` : rows}</tbody>
</table>
${
v.role === 'administrator'
  ? html`<h2>Enroll a kiosk</h2>
<form method="post" action="/kiosks/enroll">${csrfField(v)}
<label for="name">Name staff recognise</label>
<input type="text" id="name" name="name" maxlength="120" placeholder="Central Library lobby">
<label for="public_key_pem">The kiosk's public key (PEM)</label>
<textarea id="public_key_pem" name="public_key_pem" rows="4" required placeholder="-----BEGIN PUBLIC KEY-----"></textarea>
<p><button type="submit">Enroll</button></p>
</form>`
  : ''
}`;
    return sendPage(reply, 200, 'Kiosks', body, v, '/kiosks');
  });

  scope.post('/kiosks/enroll', { preHandler: admin }, async (req, reply) => {
    const form = formOf(req);
    const v = viewerOf(req);
    try {
      const kiosk = await enrollKiosk(ctx.store, { publicKeyPem: form.public_key_pem ?? '', name: (form.name ?? '').slice(0, 120), by: `dashboard:${v.username}`, now: new Date(ctx.now()) });
      ctx.log?.(`dashboard enroll: kiosk=${kiosk.kiosk_id} by=${v.username}`);
      return reply.redirect(`/kiosks?enrolled=${encodeURIComponent(kiosk.kiosk_id)}`, 303);
    } catch (e) {
      if (e instanceof EnrollmentError) throw new PageError(400, 'Kiosk not enrolled', `Nothing was enrolled: ${e.message}. Paste the whole key, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----.`);
      throw e;
    }
  });

  scope.post('/kiosks/:kiosk_id/revoke', { preHandler: admin }, async (req, reply) => {
    const { kiosk_id } = req.params as { kiosk_id: string };
    try {
      await revokeKiosk(ctx.store, kiosk_id);
    } catch (e) {
      if (e instanceof EnrollmentError) throw new PageError(404, 'No such kiosk', e.message);
      throw e;
    }
    ctx.log?.(`dashboard revoke: kiosk=${kiosk_id} by=${viewerOf(req).username}`);
    return reply.redirect(`/kiosks?revoked=${encodeURIComponent(kiosk_id)}`, 303);
  });

}
