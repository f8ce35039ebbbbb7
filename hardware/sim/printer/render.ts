// Pictures of simulated receipts for a person to look at: a framed plain-text
// rendering and an SVG (monospace, bold and double-size text as printed, the QR
// code as a labelled placeholder square, a dashed line where the paper was cut).
// No dependency: SVG opens in any browser.

import type { SimReceipt } from './core';
import type { DecodedLine } from './decoder';

const CHAR_W = 9;
const LINE_H = 18;
const FONT_PX = 15;
const MARGIN = 16;
const QR_PX = 132;

/** Characters per line to draw; at least the widest line. */
function widthOf(r: SimReceipt, columns: number): number {
  return Math.max(columns, ...r.items.map((it) => (it.kind === 'line' ? lineColumns(it.line) : 0)));
}

function lineColumns(l: DecodedLine): number {
  return l.spans.reduce((n, s) => n + [...s.text].length * s.width, 0);
}

/** The receipt as framed text; large lines are marked with » «, bold ones with *. */
export function renderText(r: SimReceipt, columns = 42): string {
  const w = widthOf(r, columns);
  const out = [`+${'-'.repeat(w + 2)}+`];
  const row = (s: string, mark = ' ') => out.push(`|${mark}${s.padEnd(w)} |`);
  for (const it of r.items) {
    if (it.kind === 'qr') {
      const label = `[QR ${it.data}]`;
      row(' '.repeat(Math.max(0, Math.floor((w - label.length) / 2))) + label);
      continue;
    }
    const big = it.line.spans.some((s) => s.height >= 2 && s.text.trim() !== '');
    const bold = it.line.spans.some((s) => s.bold && s.text.trim() !== '');
    const text = big ? it.line.spans.map((s) => (s.width >= 2 ? s.text.split('').join(' ') : s.text)).join('') : it.line.text;
    row(text.replace(/\s+$/, ''), big ? '»' : bold ? '*' : ' ');
  }
  out.push(r.cut ? `+${'- '.repeat(Math.ceil((w + 2) / 2)).slice(0, w + 2)}+ (cut)` : `+${'~'.repeat(w + 2)}+ (not cut)`);
  return out.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderSvg(r: SimReceipt, columns = 42): string {
  const w = widthOf(r, columns);
  const paperW = w * CHAR_W + 2 * MARGIN;
  const body: string[] = [];
  let y = MARGIN;
  for (const it of r.items) {
    if (it.kind === 'qr') {
      const x = it.align === 'left' ? MARGIN : it.align === 'right' ? paperW - MARGIN - QR_PX : (paperW - QR_PX) / 2;
      body.push(qrPlaceholder(x, y + 4, it.data));
      y += QR_PX + LINE_H + 8;
      continue;
    }
    const l = it.line;
    const h = Math.max(1, ...l.spans.map((s) => s.height));
    y += LINE_H * h;
    const used = lineColumns(l) * CHAR_W;
    let x = l.align === 'center' ? (paperW - used) / 2 : l.align === 'right' ? paperW - MARGIN - used : MARGIN;
    for (const s of l.spans) {
      const n = [...s.text].length;
      if (s.text.trim() !== '') {
        body.push(
          `<text x="${x}" y="${y - 4}" font-size="${FONT_PX * s.height}" textLength="${n * CHAR_W * s.width}" lengthAdjust="spacingAndGlyphs"` +
            `${s.bold ? ' font-weight="bold"' : ''} xml:space="preserve">${esc(s.text)}</text>`,
        );
      }
      x += n * CHAR_W * s.width;
    }
  }
  y += MARGIN;
  const edge = r.cut
    ? `<line x1="0" y1="${y}" x2="${paperW}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/><text x="${paperW - 40}" y="${y + 14}" font-size="12" fill="#888">cut</text>`
    : `<text x="${MARGIN}" y="${y + 14}" font-size="12" fill="#c00">not cut (interrupted)</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${paperW}" height="${y + 20}" viewBox="0 0 ${paperW} ${y + 20}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
    `<rect x="0" y="0" width="${paperW}" height="${y}" fill="#fffdf6" stroke="#ccc"/>`,
    ...body,
    edge,
    '</svg>',
    '',
  ].join('\n');
}

/** A square with finder-pattern corners: clearly a QR code, clearly not scannable. */
function qrPlaceholder(x: number, y: number, data: string): string {
  const f = (fx: number, fy: number) =>
    `<rect x="${fx}" y="${fy}" width="28" height="28" fill="#000"/><rect x="${fx + 4}" y="${fy + 4}" width="20" height="20" fill="#fff"/><rect x="${fx + 8}" y="${fy + 8}" width="12" height="12" fill="#000"/>`;
  return [
    `<rect x="${x}" y="${y}" width="${QR_PX}" height="${QR_PX}" fill="#fff" stroke="#000"/>`,
    f(x + 6, y + 6),
    f(x + QR_PX - 34, y + 6),
    f(x + 6, y + QR_PX - 34),
    `<text x="${x + QR_PX / 2}" y="${y + QR_PX / 2 + 5}" font-size="13" text-anchor="middle">QR</text>`,
    `<text x="${x + QR_PX / 2}" y="${y + QR_PX + 14}" font-size="11" text-anchor="middle">${esc(data)}</text>`,
  ].join('');
}
