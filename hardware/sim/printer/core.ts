// The virtual ESC/POS printer, without I/O: bytes in, answers out, receipts
// recorded. The pty simulator (pty.ts) and the in-memory transport
// (memory-transport.ts) both drive one of these.
//
// What it models, as an Epson TM printer behaves:
//   - DLE EOT n is answered at once, whatever the printer is doing, from the
//     settable state (paper, cover, offline), even while it cannot print;
//   - while paper is out, the cover is open or it is offline, received bytes
//     wait in the buffer and print once the condition clears;
//   - GS r 1 is answered in line: only once everything before it has printed;
//   - receipts are split at the cut (GS V); a receipt that ends without a cut
//     (ESC @ started the next one) is recorded with `cut: false`;
//   - failDuringNextReceipt(): paper runs out (or the cover opens) after the
//     next receipt's first line. The rest of that job is lost, as if torn off:
//     it is neither printed later nor answered (its GS r stays silent).
// Powered off, it neither prints nor answers.

import type { SimCodepage } from './codepages';
import { EscPosDecoder, type DecodedEvent, type DecodedLine, type SimAlign } from './decoder';

export type PaperState = 'ok' | 'near_end' | 'out';
export type CoverState = 'open' | 'closed';

export interface SimPrinterState {
  readonly paper: PaperState;
  readonly cover: CoverState;
  readonly offline: boolean;
  readonly powered: boolean;
}

export type SimItem = { readonly kind: 'line'; readonly line: DecodedLine } | { readonly kind: 'qr'; readonly data: string; readonly align: SimAlign };

export interface SimReceipt {
  /** 1-based, in print order. */
  readonly index: number;
  readonly items: readonly SimItem[];
  /** Text lines, trailing spaces removed; a QR code is the line `[QR <data>]`. */
  readonly lines: readonly string[];
  /** `lines` joined, without blank lines at either end. */
  readonly text: string;
  readonly qr: readonly string[];
  /** Lines printed at double height or more (banners), trimmed. */
  readonly large: readonly string[];
  /** Lines with bold text, trimmed. */
  readonly bold: readonly string[];
  /** False when the receipt ended without a cut (interrupted, or the next job began). */
  readonly cut: boolean;
  readonly codepages: readonly (SimCodepage | null)[];
  /** Commands the simulator skipped without modelling (first bytes of each). */
  readonly unknown: readonly (readonly number[])[];
}

/** The bytes a printer answers to DLE EOT 1, 2 and 4 in this state (see hardware/printer/status.ts). */
export function statusBytesFor(s: SimPrinterState): { 1: number; 2: number; 3: number; 4: number } {
  const paperOut = s.paper === 'out';
  const coverOpen = s.cover === 'open';
  const offline = s.offline || paperOut || coverOpen;
  return {
    1: 0x12 | (offline ? 0x08 : 0),
    2: 0x12 | (coverOpen ? 0x04 : 0) | (paperOut ? 0x20 : 0),
    3: 0x12,
    4: 0x12 | (s.paper !== 'ok' ? 0x0c : 0) | (paperOut ? 0x60 : 0),
  };
}

/** The answer to GS r 1 (paper sensor). */
export function paperSensorByteFor(paper: PaperState): number {
  return paper === 'out' ? 0x0f : paper === 'near_end' ? 0x03 : 0x00;
}

export interface PrinterSimCoreOptions {
  /** Sends the printer's answers back to the host. */
  readonly respond: (bytes: Uint8Array) => void;
  /** Called for each receipt as it is recorded. */
  readonly onReceipt?: (receipt: SimReceipt) => void;
  readonly codepageMap?: Readonly<Record<number, SimCodepage>>;
}

export class PrinterSimCore {
  private state: SimPrinterState = { paper: 'ok', cover: 'closed', offline: false, powered: true };
  private readonly decoder: EscPosDecoder;
  private readonly held: number[] = [];
  /** The tail of the last chunk when it could begin a DLE EOT n. */
  private carry: number[] = [];
  private failNext: 'paper_out' | 'cover_open' | null = null;
  /** After failDuringNextReceipt fired: the rest of that job is lost until the next ESC @. */
  private tearing = false;
  private items: SimItem[] = [];
  private codepages: (SimCodepage | null)[] = [];
  private unknown: number[][] = [];
  private readonly done: SimReceipt[] = [];
  /** Total bytes received, for tests that wait for a write to land. */
  bytesReceived = 0;

  constructor(private readonly options: PrinterSimCoreOptions) {
    this.decoder = new EscPosDecoder(options.codepageMap);
  }

  /** Drops the receipts recorded so far (long runs: benchmarks, soak tests). */
  forgetReceipts(): void {
    this.done.length = 0;
  }

  get receipts(): readonly SimReceipt[] {
    return this.done;
  }

  getState(): SimPrinterState {
    return this.state;
  }

  setPaper(paper: PaperState): void {
    this.update({ paper });
  }

  setCover(cover: CoverState): void {
    this.update({ cover });
  }

  setOffline(offline: boolean): void {
    this.update({ offline });
  }

  /** Off: bytes are lost and nothing is answered ("printer not answering"). */
  setPowered(powered: boolean): void {
    if (!powered) this.held.length = 0;
    this.update({ powered });
  }

  failDuringNextReceipt(what: 'paper_out' | 'cover_open'): void {
    this.failNext = what;
  }

  /** Bytes from the host. */
  receive(chunk: Uint8Array): void {
    this.bytesReceived += chunk.length;
    if (!this.state.powered) return;
    const bytes = [...this.carry, ...chunk];
    this.carry = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x10) {
        const rest = bytes.length - i;
        if (rest < 3 && (rest === 1 || bytes[i + 1] === 0x04)) {
          this.carry = bytes.slice(i);
          break;
        }
        const n = bytes[i + 2]!;
        if (bytes[i + 1] === 0x04 && n >= 1 && n <= 4) {
          const answers = statusBytesFor(this.state);
          this.options.respond(Uint8Array.of(answers[n as 1 | 2 | 3 | 4]));
          i += 2;
          continue;
        }
      }
      this.held.push(b);
    }
    this.run();
  }

  private blocked(): boolean {
    const s = this.state;
    return !s.powered || s.paper === 'out' || s.cover === 'open' || s.offline;
  }

  private update(change: Partial<SimPrinterState>): void {
    this.state = { ...this.state, ...change };
    this.run();
  }

  /** Prints what is held, unless the printer cannot print now. */
  private run(): void {
    while (!this.blocked() && this.held.length > 0) {
      const chunk = this.held.splice(0, this.held.length);
      // When failDuringNextReceipt fires inside this chunk, the rest of it
      // belongs to the torn job: apply() drops it until the next ESC @.
      for (const e of this.decoder.push(chunk)) this.apply(e);
    }
  }

  private apply(e: DecodedEvent): void {
    if (e.type === 'init') this.tearing = false;
    if (this.tearing) return;
    switch (e.type) {
      case 'init':
        this.finish(false);
        this.codepages = [];
        return;
      case 'codepage':
        this.codepages.push(e.codepage);
        return;
      case 'line':
        this.items.push({ kind: 'line', line: e.line });
        if (this.failNext && e.line.text.trim() !== '') this.tear();
        return;
      case 'qr':
        this.items.push({ kind: 'qr', data: e.data, align: e.align });
        return;
      case 'cut':
        this.finish(true);
        return;
      case 'paper_query':
        if (e.n === 1 || e.n === 49) this.options.respond(Uint8Array.of(paperSensorByteFor(this.state.paper)));
        return;
      case 'unknown':
        this.unknown.push([...e.bytes]);
        return;
      case 'status_query':
        return; // answered in receive(), before buffering
    }
  }

  private tear(): void {
    const what = this.failNext;
    this.failNext = null;
    this.tearing = true;
    this.finish(false);
    if (what === 'paper_out') this.state = { ...this.state, paper: 'out' };
    else this.state = { ...this.state, cover: 'open' };
  }

  private finish(cut: boolean): void {
    const items = this.items;
    const hasContent = items.some((it) => it.kind === 'qr' || it.line.text.trim() !== '');
    if (hasContent) {
      const receipt = toReceipt(this.done.length + 1, items, cut, this.codepages, this.unknown);
      this.done.push(receipt);
      this.options.onReceipt?.(receipt);
    }
    this.items = [];
    this.unknown = [];
  }
}

function toReceipt(index: number, items: SimItem[], cut: boolean, codepages: (SimCodepage | null)[], unknown: number[][]): SimReceipt {
  const lines = items.map((it) => (it.kind === 'qr' ? `[QR ${it.data}]` : it.line.text.replace(/\s+$/, '')));
  const lineItems = items.flatMap((it) => (it.kind === 'line' ? [it.line] : []));
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return {
    index,
    items,
    lines,
    text: lines.slice(start, end).join('\n'),
    qr: items.flatMap((it) => (it.kind === 'qr' ? [it.data] : [])),
    large: lineItems.filter((l) => l.spans.some((s) => s.height >= 2 && s.text.trim() !== '')).map((l) => l.text.trim()),
    bold: lineItems.filter((l) => l.spans.some((s) => s.bold && s.text.trim() !== '')).map((l) => l.text.trim()),
    cut,
    codepages: [...codepages],
    unknown,
  };
}
