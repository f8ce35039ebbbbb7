import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import { describe, expect, it } from 'vitest';
import { encodeReceipt } from '../../../hardware/printer/escpos';
import { UPPER_HALF, type SimCodepage } from '../../../hardware/sim/printer/codepages';
import { PrinterSimCore } from '../../../hardware/sim/printer/core';
import { EscPosDecoder, type DecodedEvent } from '../../../hardware/sim/printer/decoder';
import { renderSvg, renderText } from '../../../hardware/sim/printer/render';

const lines = (events: DecodedEvent[]) => events.flatMap((e) => (e.type === 'line' ? [e.line.text] : []));

describe('code page tables of the simulator', () => {
  it('have 128 characters each', () => {
    for (const cp of Object.keys(UPPER_HALF) as SimCodepage[]) expect([...UPPER_HALF[cp]]).toHaveLength(128);
  });

  it('agree with the encoder the driver uses, byte for byte (two independent tables)', () => {
    for (const cp of ['cp437', 'cp850', 'cp858', 'cp860'] as const) {
      const table = UPPER_HALF[cp];
      // NBSP and soft hyphen are left out: the encoder treats them as spacing;
      // ¶ and § too: it writes them as 0x14 and 0x15 (printableText turns them into "?").
      const chars = [...table].map((c, i) => ({ c, byte: 0x80 + i })).filter(({ c }) => !'\u00a0\u00ad\u00b6\u00a7'.includes(c));
      const e = new ReceiptPrinterEncoder({ language: 'esc-pos', codepageMapping: 'epson', newline: '\n' }).codepage(cp);
      for (let i = 0; i < chars.length; i += 16) e.line(chars.slice(i, i + 16).map(({ c }) => c).join(''));
      const encoded = [...e.encode()].slice(3).filter((b) => b !== 0x0a);
      expect(encoded, cp).toEqual(chars.map(({ byte }) => byte));
    }
  });
});

describe('ESC/POS decoder', () => {
  it('reads Spanish and Portuguese text back through the selected code page', () => {
    const d = new EscPosDecoder();
    const text = ['¿Cómo está? ¡Sí! Año, pingüino, 12,50 €', 'Transação: ação, pão, você, à, Çé'];
    const events = d.push(encodeReceipt({ blocks: text.map((t) => ({ kind: 'text' as const, text: t })) }));
    expect(lines(events)).toEqual([...text, '', '', '', '']);
    expect(events.filter((e) => e.type === 'codepage')).toEqual([{ type: 'codepage', n: 19, codepage: 'cp858' }]);
    expect(events.at(-1)).toEqual({ type: 'cut', partial: true });
  });

  it('keeps bold, size and alignment per line and takes the QR payload', () => {
    const d = new EscPosDecoder();
    const events = d.push(
      encodeReceipt({
        blocks: [
          { kind: 'text', text: 'Big', bold: true, size: 'large' },
          { kind: 'qr', data: 'TX-42' },
        ],
      }),
    );
    const first = events.find((e) => e.type === 'line');
    expect(first).toMatchObject({ line: { text: 'Big', spans: [{ text: 'Big', bold: true, width: 2, height: 2 }] } });
    expect(events.find((e) => e.type === 'qr')).toEqual({ type: 'qr', data: 'TX-42', model: 2, align: 'center' });
  });

  it('completes a command split across reads, one byte at a time', () => {
    const bytes = encodeReceipt({ blocks: [{ kind: 'text', text: 'ñandú' }, { kind: 'qr', data: 'ABC' }] });
    const d = new EscPosDecoder();
    const events = [...bytes].flatMap((b) => d.push([b]));
    expect(lines(events)[0]).toBe('ñandú');
    expect(events.some((e) => e.type === 'qr' && e.data === 'ABC')).toBe(true);
    expect(d.pendingBytes).toBe(0);
  });

  it('notes status queries and commands it does not model', () => {
    const d = new EscPosDecoder();
    expect(d.push([0x10, 0x04, 0x02, 0x1d, 0x72, 0x01, 0x1b, 0x99])).toEqual([
      { type: 'status_query', n: 2 },
      { type: 'paper_query', n: 1 },
      { type: 'unknown', bytes: [0x1b, 0x99] },
    ]);
  });
});

describe('simulator core', () => {
  it('answers DLE EOT at once even while it cannot print, and holds the job until it can', () => {
    const answers: number[] = [];
    const core = new PrinterSimCore({ respond: (b) => answers.push(...b) });
    core.setPaper('out');
    core.receive(encodeReceipt({ blocks: [{ kind: 'text', text: 'held' }] }));
    core.receive(Uint8Array.of(0x10, 0x04, 0x04, 0x1d, 0x72, 0x01));
    expect(answers).toEqual([0x7e]);
    expect(core.receipts).toHaveLength(0);
    core.setPaper('ok');
    expect(core.receipts.map((r) => r.text)).toEqual(['held']);
    expect(answers).toEqual([0x7e, 0x00]);
  });

  it('splits receipts at the cut; an ESC @ without a cut ends an interrupted one', () => {
    const core = new PrinterSimCore({ respond: () => undefined });
    core.receive(encodeReceipt({ blocks: [{ kind: 'text', text: 'one' }] }));
    core.receive(Uint8Array.of(0x1b, 0x40, 0x61, 0x0a));
    core.receive(encodeReceipt({ blocks: [{ kind: 'text', text: 'two' }] }));
    expect(core.receipts.map((r) => [r.text, r.cut])).toEqual([
      ['one', true],
      ['a', false],
      ['two', true],
    ]);
  });

  it('renders a receipt as framed text and as SVG', () => {
    const core = new PrinterSimCore({ respond: () => undefined });
    core.receive(encodeReceipt({ blocks: [{ kind: 'text', text: 'Recibo <&>', bold: true }, { kind: 'qr', data: 'TX-1' }] }, {}, true));
    const r = core.receipts[0]!;
    expect(r.large).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect(renderText(r)).toContain('[QR TX-1]');
    const svg = renderSvg(r);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Recibo &lt;&amp;&gt;');
    expect(svg).toContain('font-weight="bold"');
  });
});
