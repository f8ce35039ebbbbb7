// Receipt printers: open one by path. See types.ts for the contract.

import { EscPosPrinter, type EscPosPrinterOptions } from './escpos-printer';
import { LpTransport } from './lp-transport';
import { SerialTransport, type SerialPrinterPortOptions } from './serial-transport';

export * from './types';
export { EscPosPrinter, blocksPrinting, type EscPosPrinterOptions } from './escpos-printer';
export { encodeReceipt, printableText, DEFAULT_ESCPOS, type EscPosOptions, type EscPosCodepage, type PaperColumns } from './escpos';
export { MemoryPrintJournal } from './journal';
export { SerialTransport, type SerialPrinterPortOptions } from './serial-transport';
export { LpTransport } from './lp-transport';

/** An ESC/POS printer on a serial port or pty (e.g. /dev/ttyUSB0, /dev/civicard-printer). */
export async function openSerialPrinter(port: SerialPrinterPortOptions, options: EscPosPrinterOptions = {}): Promise<EscPosPrinter> {
  return new EscPosPrinter(await SerialTransport.open(port), options);
}

/** An ESC/POS printer on the usblp driver (/dev/usb/lp0): prints, but cannot report status. */
export async function openUsbLpPrinter(path: string, options: EscPosPrinterOptions = {}): Promise<EscPosPrinter> {
  return new EscPosPrinter(await LpTransport.open(path), options);
}

/** By path: /dev/usb/lp* is the usblp driver, anything else a serial port. */
export function openPrinter(path: string, options: EscPosPrinterOptions & Omit<SerialPrinterPortOptions, 'path'> = {}): Promise<EscPosPrinter> {
  return /^\/dev\/usb\/lp\d+$/.test(path) ? openUsbLpPrinter(path, options) : openSerialPrinter({ ...options, path }, options);
}
