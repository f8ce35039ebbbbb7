import type { UserRole } from '../db/schema';
import { html, type Html } from './html';

// The page shell: one stylesheet from the server (the CSP allows nothing
// inline and no script at all), a skip link, a navigation landmark, one h1
// per page. Colours pass WCAG AA on white (checked by the axe scan in
// test/integration/dashboard-browser.test.ts); status is always said in words
// as well as colour.

export const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
a{color:#0b4fb3}
a:focus,button:focus,input:focus,textarea:focus,select:focus{outline:3px solid #0b4fb3;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{display:flex;align-items:center;gap:24px;padding:8px 24px;background:#12325c;color:#fff}
header a{color:#fff}
header nav ul{display:flex;gap:18px;list-style:none;margin:0;padding:0}
header nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
header .who{margin-left:auto;display:flex;gap:12px;align-items:center}
main{padding:16px 24px;max-width:1320px}
h1{font-size:1.6rem;margin:8px 0 12px}h2{font-size:1.25rem;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}
caption{text-align:left;font-weight:700;padding:4px 0}
th,td{border-bottom:1px solid #c6c6c6;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
.card{border:1px solid #c6c6c6;border-radius:6px;padding:8px 16px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600}
.green,.info{background:#dcf3e3;color:#0a4f24}.amber,.warning{background:#fff0c2;color:#5c3b00}.red,.critical{background:#fde2e2;color:#8a1111}
.notice{border-left:6px solid #12325c;background:#eef1f5;padding:8px 12px;margin:8px 0}
.error{border-left:6px solid #8a1111;background:#fde2e2;padding:8px 12px;margin:8px 0}
form.inline{display:inline}
label{display:block;font-weight:600;margin:8px 0 2px}
input[type=text],input[type=password],input[type=date],textarea{font:inherit;padding:6px;border:1px solid #6b6b6b;border-radius:4px;max-width:100%}
textarea{width:100%;font-family:ui-monospace,monospace;font-size:.9rem}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #12325c;background:#12325c;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#12325c}
header button{background:#fff;color:#12325c;border-color:#fff}
code,.mono{font-family:ui-monospace,monospace;font-size:.92em;word-break:break-all}
`;

export interface Viewer {
  username: string;
  role: UserRole;
  csrf: string;
}

const NAV: { href: string; label: string }[] = [
  { href: '/dashboard', label: 'Day' },
  { href: '/kiosks', label: 'Kiosks' },
  { href: '/cards', label: 'Cards' },
  { href: '/hotlist', label: 'Hotlist' },
  { href: '/config', label: 'Configuration' },
];

export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;
}

export function page(opts: { title: string; viewer?: Viewer; current?: string; body: Html }): string {
  const v = opts.viewer;
  const header =
    v === undefined
      ? html`<header><strong>Civicard back office</strong></header>`
      : html`<header>
  <strong>Civicard back office</strong>
  <nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${n.href === opts.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
  <div class="who"><span>${v.username} (${v.role})</span>
    <form class="inline" method="post" action="/logout">${csrfField(v)}<button type="submit">Log out</button></form></div>
</header>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} — Civicard back office</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main">
<h1>${opts.title}</h1>
${opts.body}
</main>
</body>
</html>
`.text;
}
