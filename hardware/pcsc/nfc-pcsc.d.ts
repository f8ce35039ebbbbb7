// Types for the part of nfc-pcsc 0.8 (and the @pokusew/pcsclite CardReader under
// it) that nfc-pcsc-reader.ts uses. nfc-pcsc ships no types. Read against
// node_modules/nfc-pcsc/src/{NFC,Reader}.js and @pokusew/pcsclite/lib/pcsclite.js.

declare module 'nfc-pcsc' {
  import { EventEmitter } from 'node:events';

  /** The @pokusew/pcsclite CardReader: one PC/SC reader, one card handle at most. */
  export interface PcscliteCardReader extends EventEmitter {
    readonly name: string;
    /** True while this object holds a card handle (set by the native layer). */
    readonly connected: boolean;
    state: number;
    readonly SCARD_SHARE_SHARED: number;
    readonly SCARD_SHARE_EXCLUSIVE: number;
    readonly SCARD_SHARE_DIRECT: number;
    readonly SCARD_PROTOCOL_T0: number;
    readonly SCARD_PROTOCOL_T1: number;
    readonly SCARD_STATE_EMPTY: number;
    readonly SCARD_STATE_PRESENT: number;
    readonly SCARD_STATE_MUTE: number;
    readonly SCARD_LEAVE_CARD: number;
    readonly SCARD_RESET_CARD: number;
    readonly SCARD_UNPOWER_CARD: number;
    connect(options: { share_mode?: number; protocol?: number }, cb: (err: Error | null | undefined, protocol: number) => void): void;
    disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
    close(): void;
  }

  export interface NfcCard {
    atr?: Buffer;
    standard?: string;
    type?: string;
    uid?: string;
  }

  export interface NfcConnection {
    type: number;
    protocol: number;
  }

  export interface Logger {
    log(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  }

  export class Reader extends EventEmitter {
    readonly reader: PcscliteCardReader;
    readonly name: string;
    autoProcessing: boolean;
    /** Set on card arrival (before connecting), null once the card is gone. */
    card: NfcCard | null;
    /** The handle transmit() uses; nfc-pcsc sets it in connect(), clears it in disconnect(). */
    connection: NfcConnection | null;
    connect(mode?: string): Promise<NfcConnection | null>;
    disconnect(): Promise<boolean>;
    transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    close(): void;
  }

  export class NFC extends EventEmitter {
    constructor(logger?: Logger);
    readonly readers: Record<string, PcscliteCardReader>;
    close(): void;
  }

  export class BaseError extends Error {
    code: string | null;
    previous?: Error;
  }
  export class TransmitError extends BaseError {}

  export const CARD_NOT_CONNECTED: 'card_not_connected';
}
