import PDFDocument from 'pdfkit';
import { shortRef, units } from './exceptions';
import type { ReconciliationSummary } from './summary';

// report.pdf: the day on paper for finance. Page 1 the equation and totals,
// page 2 the charts (revenue by service, by branch, the liability through the
// day) drawn as vector shapes, then the exceptions. No names anywhere; card
// references cut to 8 characters. The standard PDF fonts have no arrows or
// minus sign, so those are spelt in ASCII.

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN; // A4
const EXCEPTIONS_SHOWN = 60;
const BAR = '#2f5d8a';
const LINE = '#b5472f';

export function renderReportPdf(s: ReconciliationSummary): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: `Civicard reconciliation ${s.business_date}`, Author: 'Civicard back office' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text(`Reconciliation of ${s.business_date}`);
  doc.font('Helvetica').fontSize(10).fillColor('#555').text(`Business day in ${s.time_zone}: ${s.window.from} to ${s.window.to}. Generated ${s.generated_at}. Amounts in minor units.`);
  doc.moveDown().fillColor('black');

  const l = s.liability;
  doc.font('Helvetica-Bold').fontSize(13).text(l.holds ? 'The money adds up' : 'THE MONEY DOES NOT ADD UP');
  doc.font('Helvetica').fontSize(11);
  table(doc, [
    ['Liability at the start', units(l.start_minor)],
    ['+ top-ups', units(l.top_ups_minor)],
    ['+ opening balances', units(l.opening_balances_minor)],
    ['- payments', units(l.payments_minor)],
    ['- voids', units(l.voids_minor)],
    ['+ credit backs', units(l.credit_backs_minor)],
    ['+ replacements of lost cards', units(l.replacements_minor)],
    ['= expected at the end', units(l.expected_end_minor)],
    ['Liability at the end (sum of card balances)', units(l.end_minor)],
    ['Difference', units(l.difference_minor)],
  ]);
  doc.moveDown();
  doc.font('Helvetica-Bold').fontSize(13).text('Totals');
  doc.font('Helvetica').fontSize(11);
  const t = s.totals;
  table(doc, [
    ['Card transactions', String(t.transactions)],
    ['Revenue, net of credit backs and refunds', units(t.revenue_net_minor)],
    ['Refunds paid in cash', units(t.refunds_minor)],
    ['Cash taken in by attendants', units(t.cash_taken_minor)],
    ['Intents still open', `${s.open_intents.still_open} (${units(s.open_intents.still_open_minor)})`],
    ['Exceptions: critical / warning / info', `${s.exception_counts.critical} / ${s.exception_counts.warning} / ${s.exception_counts.info}`],
  ]);

  doc.addPage();
  barChart(doc, 'Revenue by service (net)', s.revenue.by_service.map((r) => [r.service, r.net_minor]));
  barChart(doc, 'Revenue by branch (net)', s.revenue.by_branch.map((r) => [r.branch, r.net_minor]));
  let level = s.liability.start_minor;
  lineChart(doc, 'Stored-value liability through the day (end of each hour)', [level, ...s.revenue.hourly_net_minor.map((n) => (level += n))]);
  doc.fontSize(8).fillColor('#555').text(s.revenue.zone_note, MARGIN, doc.y + 4, { width: WIDTH });

  doc.addPage().fillColor('black');
  doc.font('Helvetica-Bold').fontSize(13).text(`Exceptions (${s.exceptions.length})`);
  doc.font('Helvetica').fontSize(9);
  if (s.exceptions.length === 0) doc.text('None.');
  for (const e of s.exceptions.slice(0, EXCEPTIONS_SHOWN)) {
    doc.font('Helvetica-Bold').text(`${e.severity.toUpperCase()}  ${e.kind}${e.card_ref === null ? '' : `  card ${shortRef(e.card_ref)}`}`, { continued: false });
    doc.font('Helvetica').text(ascii(e.explanation), { width: WIDTH }).moveDown(0.4);
  }
  if (s.exceptions.length > EXCEPTIONS_SHOWN) doc.text(`and ${s.exceptions.length - EXCEPTIONS_SHOWN} more: see exceptions.csv.`);
  doc.end();
  return done;
}

function ascii(text: string): string {
  return text.replaceAll('−', '-').replaceAll('→', '->').replaceAll('’', "'");
}

function table(doc: PDFKit.PDFDocument, rows: [string, string][]): void {
  for (const [label, value] of rows) {
    const y = doc.y;
    doc.text(label, MARGIN, y, { width: WIDTH * 0.65 });
    doc.text(value, MARGIN + WIDTH * 0.65, y, { width: WIDTH * 0.35, align: 'right' });
  }
  doc.x = MARGIN;
}

function barChart(doc: PDFKit.PDFDocument, title: string, bars: [string, number][]): void {
  doc.fillColor('black').font('Helvetica-Bold').fontSize(12).text(title, MARGIN, doc.y);
  const top = doc.y + 6;
  const labelWidth = 150;
  const barHeight = 14;
  const max = Math.max(1, ...bars.map(([, v]) => Math.abs(v)));
  doc.font('Helvetica').fontSize(9);
  bars.forEach(([label, value], i) => {
    const y = top + i * (barHeight + 6);
    const w = (Math.abs(value) / max) * (WIDTH - labelWidth - 70);
    doc.fillColor('black').text(ascii(label).slice(0, 32), MARGIN, y + 3, { width: labelWidth - 6 });
    doc.rect(MARGIN + labelWidth, y, Math.max(w, 0.5), barHeight).fill(value < 0 ? LINE : BAR);
    doc.fillColor('black').text(units(value), MARGIN + labelWidth + w + 4, y + 3, { lineBreak: false });
  });
  doc.x = MARGIN;
  doc.y = top + Math.max(1, bars.length) * (barHeight + 6) + 16;
}

function lineChart(doc: PDFKit.PDFDocument, title: string, points: number[]): void {
  doc.fillColor('black').font('Helvetica-Bold').fontSize(12).text(title, MARGIN, doc.y);
  const top = doc.y + 8;
  const height = 140;
  const left = MARGIN + 60;
  const width = WIDTH - 60;
  const lo = Math.min(...points);
  const hi = Math.max(...points);
  const span = hi - lo || 1;
  const x = (i: number) => left + (i / Math.max(1, points.length - 1)) * width;
  const y = (v: number) => top + height - ((v - lo) / span) * height;
  doc.lineWidth(0.5).strokeColor('#999').rect(left, top, width, height).stroke();
  doc.font('Helvetica').fontSize(8).fillColor('black');
  doc.text(units(hi), MARGIN, top - 3, { width: 56, align: 'right' });
  doc.text(units(lo), MARGIN, top + height - 6, { width: 56, align: 'right' });
  doc.text('start', left - 10, top + height + 3, { lineBreak: false });
  doc.text('end', left + width - 10, top + height + 3, { lineBreak: false });
  doc.lineWidth(1.5).strokeColor(LINE).moveTo(x(0), y(points[0]!));
  points.forEach((v, i) => doc.lineTo(x(i), y(v)));
  doc.stroke();
  doc.x = MARGIN;
  doc.y = top + height + 18;
}
