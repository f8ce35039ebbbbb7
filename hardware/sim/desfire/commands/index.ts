import type { NativeCommandHandler } from './context';
import { readData, writeData } from './data';
import { createCyclicRecordFile, createStdDataFile, createTransactionMacFile, createValueFile } from './files';
import { changeFileSettings, freeMemory, getApplicationIds, getDfNames, getFileIds, getFileSettings, getIsoFileIds, getKeySettings, getKeyVersion, setConfiguration } from './configuration';
import { changeKey } from './keys';
import { createApplication, getCardUid, getVersion, selectApplication } from './picc';
import { readRecords, writeRecord } from './records';
import { abortTransaction, commitTransaction } from './transaction';
import { credit, debit, getValue, limitedCredit } from './value';

/** Native command code → handler. Authentication (71, 77) and additional frames (AF) are the simulator's own. */
export const NATIVE_COMMANDS: ReadonlyMap<number, NativeCommandHandler> = new Map([
  [0x5a, selectApplication],
  [0x60, getVersion],
  [0x51, getCardUid],
  [0xca, createApplication],
  [0xc4, changeKey],
  [0xcc, createValueFile],
  [0xc0, createCyclicRecordFile],
  [0xcd, createStdDataFile],
  [0xce, createTransactionMacFile],
  [0xbd, readData],
  [0x3d, writeData],
  [0x6c, getValue],
  [0x0c, credit],
  [0xdc, debit],
  [0x1c, limitedCredit],
  [0x8b, writeRecord],
  [0xbb, readRecords],
  [0xc7, commitTransaction],
  [0xa7, abortTransaction],
  [0x5c, setConfiguration],
  [0x5f, changeFileSettings],
  [0x45, getKeySettings],
  [0x64, getKeyVersion],
  [0x6e, freeMemory],
  [0x6a, getApplicationIds],
  [0x6d, getDfNames],
  [0x61, getIsoFileIds],
  [0x6f, getFileIds],
  [0xf5, getFileSettings],
]);
