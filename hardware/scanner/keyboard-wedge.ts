import { EventEmitter } from 'node:events';
import type { BarcodeScanner, BarcodeScannerEvents } from './types';

// Keyboard-wedge scanners type the code as keystrokes and press Enter. What
// tells them apart from a person is speed: a scanner's keys arrive a few ms
// apart, a person's tens to hundreds. The renderer forwards key events; this
// turns fast bursts ending in Enter into scans and ignores human typing.

export interface KeyEvent {
  key: string;
  at_ms: number;
}

export interface WedgeOptions {
  /** Longest gap between two keys of one scan. */
  max_gap_ms?: number;
  min_chars?: number;
  max_chars?: number;
}

export class KeyboardWedgeScanner extends EventEmitter<BarcodeScannerEvents> implements BarcodeScanner {
  private buffer = '';
  private last_ms = -Infinity;
  private readonly max_gap_ms: number;
  private readonly min_chars: number;
  private readonly max_chars: number;

  constructor(opts: WedgeOptions = {}) {
    super();
    this.max_gap_ms = opts.max_gap_ms ?? 30;
    this.min_chars = opts.min_chars ?? 4;
    this.max_chars = opts.max_chars ?? 64;
  }

  /** One key from the keyboard; returns true when it was part of a scan (the UI should not treat it as typing). */
  key(e: KeyEvent): boolean {
    const gap = e.at_ms - this.last_ms;
    this.last_ms = e.at_ms;
    if (gap > this.max_gap_ms) this.buffer = '';
    if (e.key === 'Enter') {
      const text = this.buffer;
      this.buffer = '';
      if (text.length >= this.min_chars && gap <= this.max_gap_ms) {
        this.emit('scan', { text, symbology: null, at_ms: e.at_ms });
        return true;
      }
      return false;
    }
    if (e.key.length !== 1) {
      this.buffer = '';
      return false;
    }
    this.buffer = (this.buffer + e.key).slice(-this.max_chars);
    return this.buffer.length > 1;
  }

  async close(): Promise<void> {
    this.buffer = '';
  }
}
