// Simulated MIFARE DESFire EV2-class card (DESIGN §2, §9): pure logic behind
// the ApduHandler contract, plus the state-file helpers the CLI persists with.

export { DesfireSim, FRAME_DATA_BYTES, type DesfireSimOptions } from './sim';
export {
  blankCardState,
  CARD_STATE_FORMAT,
  type AccessRightsState,
  type ApplicationState,
  type CardState,
  type CommModeName,
  type CyclicRecordFileState,
  type FileState,
  type KeyState,
  type StdDataFileState,
  type TransactionMacFileState,
  type ValueFileState,
} from './state';
export { CardStateFormatError, parseCardState } from './state-schema';
export { loadCardState, saveCardStateAtomic } from './state-file';
export { buildTmiEntry, computeTransactionMac } from './tmac';
export { jamCrc32 } from './bytes';
