// Reads an ESC/POS byte stream back into what a printer would do with it: pure,
// streaming (a command split across two reads is completed by the next one).
// Text is decoded through the code page selected with ESC t; bold, size and
// alignment are kept per line; a QR code's payload is taken from its GS ( k
// store command when it is printed; cuts and status queries are events.
// Commands the simulator does not model are skipped by their documented length
// and reported as `unknown` so a test can notice them.

import { decodeByte, EPSON_CODEPAGES, type SimCodepage } from './codepages';

export type SimAlign = 'left' | 'center' | 'right';

export interface DecodedSpan {
  readonly text: string;
  readonly bold: boolean;
  /** Character magnification (GS !): 1..8 each. */
  readonly width: number;
  readonly height: number;
}

export interface DecodedLine {
  readonly text: string;
  readonly spans: readonly DecodedSpan[];
  readonly align: SimAlign;
}

export type DecodedEvent =
  | { readonly type: 'line'; readonly line: DecodedLine }
  | { readonly type: 'qr'; readonly data: string; readonly model: number; readonly align: SimAlign }
  | { readonly type: 'cut'; readonly partial: boolean }
  | { readonly type: 'init' }
  | { readonly type: 'codepage'; readonly n: number; readonly codepage: SimCodepage | null }
  /** DLE EOT n: real-time status request. */
  | { readonly type: 'status_query'; readonly n: number }
  /** GS r n: status request answered in line, after what precedes it has printed. */
  | { readonly type: 'paper_query'; readonly n: number }
  | { readonly type: 'unknown'; readonly bytes: readonly number[] };

const ALIGN: Record<number, SimAlign> = { 0: 'left', 1: 'center', 2: 'right', 48: 'left', 49: 'center', 50: 'right' };
const MAX_PENDING_BYTES = 1 << 20;

type Parsed = { consumed: number } | 'incomplete';

export class EscPosDecoder {
  private pending: number[] = [];
  private codepageMap: Readonly<Record<number, SimCodepage>>;
  private codepage: SimCodepage | null = 'cp437';
  private bold = false;
  private width = 1;
  private height = 1;
  private align: SimAlign = 'left';
  private spans: DecodedSpan[] = [];
  private lineAlign: SimAlign | null = null;
  private qrData: string | null = null;
  private qrModel = 2;
  private events: DecodedEvent[] = [];

  constructor(codepageMap: Readonly<Record<number, SimCodepage>> = EPSON_CODEPAGES) {
    this.codepageMap = codepageMap;
  }

  /** Feeds bytes; returns the events completed by them, in order. */
  push(bytes: Uint8Array | readonly number[]): DecodedEvent[] {
    for (const b of bytes) this.pending.push(b);
    if (this.pending.length > MAX_PENDING_BYTES) throw new Error('ESC/POS decoder: an incomplete command grew past 1 MiB');
    let i = 0;
    while (i < this.pending.length) {
      const r = this.step(i);
      if (r === 'incomplete') break;
      i += r.consumed;
    }
    this.pending = this.pending.slice(i);
    const out = this.events;
    this.events = [];
    return out;
  }

  /** Bytes held because they start a command not yet complete. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  private at(i: number): number | undefined {
    return this.pending[i];
  }

  /** Needs `n` bytes from `i`; returns them or null. */
  private take(i: number, n: number): number[] | null {
    return i + n <= this.pending.length ? this.pending.slice(i, i + n) : null;
  }

  private step(i: number): Parsed {
    const b = this.at(i)!;
    if (b === 0x0a) return this.newline(), { consumed: 1 };
    if (b === 0x0d || b === 0x00) return { consumed: 1 };
    if (b === 0x09) return this.char(' '), { consumed: 1 };
    if (b === 0x1b) return this.esc(i);
    if (b === 0x1d) return this.gs(i);
    if (b === 0x10) return this.dle(i);
    if (b === 0x1c) return this.fixed(i, 2, false);
    if (b < 0x20) return this.unknown(i, 1);
    this.char(decodeByte(b, this.codepage));
    return { consumed: 1 };
  }

  private esc(i: number): Parsed {
    const c = this.take(i, 3);
    const cmd = this.at(i + 1);
    if (cmd === undefined) return 'incomplete';
    switch (cmd) {
      case 0x40: // ESC @
        this.reset();
        this.events.push({ type: 'init' });
        return { consumed: 2 };
      case 0x32: // ESC 2 default line spacing
      case 0x3c: // ESC < return home
        return { consumed: 2 };
      case 0x21: // ESC ! n: print mode
        if (!c) return 'incomplete';
        this.bold = (c[2]! & 0x08) !== 0;
        this.height = c[2]! & 0x10 ? 2 : 1;
        this.width = c[2]! & 0x20 ? 2 : 1;
        return { consumed: 3 };
      case 0x45: // ESC E n: emphasized
        if (!c) return 'incomplete';
        this.bold = (c[2]! & 1) === 1;
        return { consumed: 3 };
      case 0x61: // ESC a n: justification
        if (!c) return 'incomplete';
        this.align = ALIGN[c[2]!] ?? this.align;
        return { consumed: 3 };
      case 0x74: // ESC t n: character code table
        if (!c) return 'incomplete';
        this.codepage = this.codepageMap[c[2]!] ?? null;
        this.events.push({ type: 'codepage', n: c[2]!, codepage: this.codepage });
        return { consumed: 3 };
      case 0x64: // ESC d n: print and feed n lines
        if (!c) return 'incomplete';
        this.newline();
        for (let k = 1; k < c[2]!; k++) this.newline();
        return { consumed: 3 };
      case 0x70: // ESC p m t1 t2: drawer pulse
        return this.fixed(i, 5, false);
      // One parameter, no visible effect here: underline, double strike, font,
      // feed by dots, line spacing, international set, rotation, upside down...
      case 0x2d: case 0x47: case 0x4d: case 0x4a: case 0x33: case 0x52: case 0x56: case 0x7b: case 0x20: case 0x63:
        return this.fixed(i, 3, false);
      default:
        return this.unknown(i, 2);
    }
  }

  private gs(i: number): Parsed {
    const cmd = this.at(i + 1);
    if (cmd === undefined) return 'incomplete';
    const c = this.take(i, 3);
    switch (cmd) {
      case 0x21: // GS ! n: character size
        if (!c) return 'incomplete';
        this.width = ((c[2]! >> 4) & 0x07) + 1;
        this.height = (c[2]! & 0x07) + 1;
        return { consumed: 3 };
      case 0x56: { // GS V m [n]: cut
        if (!c) return 'incomplete';
        const m = c[2]!;
        const withFeed = m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104;
        if (withFeed && this.at(i + 3) === undefined) return 'incomplete';
        if (this.spans.length > 0) this.newline();
        this.events.push({ type: 'cut', partial: m === 1 || m === 49 || m === 66 || m === 98 || m === 104 });
        return { consumed: withFeed ? 4 : 3 };
      }
      case 0x72: // GS r n
        if (!c) return 'incomplete';
        this.events.push({ type: 'paper_query', n: c[2]! });
        return { consumed: 3 };
      case 0x28: // GS ( x pL pH data
        return this.gsParen(i);
      case 0x6b: // GS k: barcode
        return this.barcode(i);
      case 0x76: { // GS v 0 m xL xH yL yH data: raster image
        const h = this.take(i, 8);
        if (!h) return 'incomplete';
        return this.fixed(i, 8 + (h[4]! + 256 * h[5]!) * (h[6]! + 256 * h[7]!), false);
      }
      case 0x4c: case 0x57: // GS L / GS W nL nH: margins
        return this.fixed(i, 4, false);
      case 0x42: case 0x62: case 0x48: case 0x68: case 0x77: case 0x66: case 0x61: case 0x49:
        return this.fixed(i, 3, false);
      default:
        return this.unknown(i, 2);
    }
  }

  private gsParen(i: number): Parsed {
    const h = this.take(i, 5);
    if (!h) return 'incomplete';
    const len = h[3]! + 256 * h[4]!;
    const all = this.take(i, 5 + len);
    if (!all) return 'incomplete';
    if (h[2] === 0x6b && len >= 2 && all[5] === 49) {
      const fn = all[6]!;
      const params = all.slice(7);
      if (fn === 65) this.qrModel = params[0] === 49 ? 1 : 2;
      else if (fn === 80) this.qrData = String.fromCharCode(...params.slice(1)); // m = 48, then the data
      else if (fn === 81 && this.qrData !== null) {
        if (this.spans.length > 0) this.newline();
        this.events.push({ type: 'qr', data: this.qrData, model: this.qrModel, align: this.align });
      }
    } else if (h[2] !== 0x6b) {
      this.events.push({ type: 'unknown', bytes: all.slice(0, 8) });
    }
    return { consumed: 5 + len };
  }

  private barcode(i: number): Parsed {
    const m = this.at(i + 2);
    if (m === undefined) return 'incomplete';
    if (m <= 6) {
      const end = this.pending.indexOf(0, i + 3);
      return end < 0 ? 'incomplete' : this.fixed(i, end + 1 - i, true);
    }
    const n = this.at(i + 3);
    return n === undefined ? 'incomplete' : this.fixed(i, 4 + n, true);
  }

  private dle(i: number): Parsed {
    const c = this.take(i, 3);
    if (!c) return 'incomplete';
    if (c[1] === 0x04) {
      this.events.push({ type: 'status_query', n: c[2]! });
      return { consumed: 3 };
    }
    if (c[1] === 0x05) return { consumed: 3 }; // DLE ENQ n
    if (c[1] === 0x14) return this.fixed(i, c[2] === 1 ? 5 : 7, false); // DLE DC4 fn ...
    return this.unknown(i, 2);
  }

  /** Skips a command of `n` bytes; notes it when the simulator ignores something visible. */
  private fixed(i: number, n: number, note: boolean): Parsed {
    const bytes = this.take(i, n);
    if (!bytes) return 'incomplete';
    if (note) this.events.push({ type: 'unknown', bytes: bytes.slice(0, 8) });
    return { consumed: n };
  }

  private unknown(i: number, n: number): Parsed {
    const bytes = this.take(i, n);
    if (!bytes) return 'incomplete';
    this.events.push({ type: 'unknown', bytes });
    return { consumed: n };
  }

  private char(ch: string): void {
    if (this.lineAlign === null) this.lineAlign = this.align;
    const last = this.spans[this.spans.length - 1];
    if (last && last.bold === this.bold && last.width === this.width && last.height === this.height) {
      this.spans[this.spans.length - 1] = { ...last, text: last.text + ch };
    } else {
      this.spans.push({ text: ch, bold: this.bold, width: this.width, height: this.height });
    }
  }

  private newline(): void {
    const text = this.spans.map((s) => s.text).join('');
    this.events.push({ type: 'line', line: { text, spans: this.spans, align: this.lineAlign ?? this.align } });
    this.spans = [];
    this.lineAlign = null;
  }

  private reset(): void {
    if (this.spans.length > 0) this.newline();
    this.codepage = 'cp437';
    this.bold = false;
    this.width = 1;
    this.height = 1;
    this.align = 'left';
    this.qrData = null;
    this.qrModel = 2;
  }
}
