// The virtual ESC/POS receipt printer: on a socat pty (startPrinterSim) or in
// memory (SimPrinterTransport), both over the same PrinterSimCore.
export { startPrinterSim, findSocat, SOCAT_INSTALL_HINT, type PrinterSim, type PrinterSimOptions } from './pty';
export { PrinterSimCore, statusBytesFor, paperSensorByteFor, type SimReceipt, type SimItem, type SimPrinterState, type PaperState, type CoverState } from './core';
export { SimPrinterTransport } from './memory-transport';
export { EscPosDecoder, type DecodedEvent, type DecodedLine, type DecodedSpan } from './decoder';
export { renderSvg, renderText } from './render';
export { UPPER_HALF, EPSON_CODEPAGES, decodeByte, type SimCodepage } from './codepages';
