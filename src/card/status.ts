// DESFire EV2 status codes (SW2 after SW1 = 91) mapped to named, typed errors.

export const STATUS = {
  OPERATION_OK: 0x00,
  NO_CHANGES: 0x0c,
  OUT_OF_EEPROM: 0x0e,
  ILLEGAL_COMMAND: 0x1c,
  INTEGRITY_ERROR: 0x1e,
  NO_SUCH_KEY: 0x40,
  LENGTH_ERROR: 0x7e,
  PERMISSION_DENIED: 0x9d,
  PARAMETER_ERROR: 0x9e,
  APPLICATION_NOT_FOUND: 0xa0,
  APPL_INTEGRITY_ERROR: 0xa1,
  AUTHENTICATION_ERROR: 0xae,
  ADDITIONAL_FRAME: 0xaf,
  BOUNDARY_ERROR: 0xbe,
  PICC_INTEGRITY_ERROR: 0xc1,
  COMMAND_ABORTED: 0xca,
  PICC_DISABLED: 0xcd,
  COUNT_ERROR: 0xce,
  DUPLICATE_ERROR: 0xde,
  EEPROM_ERROR: 0xee,
  FILE_NOT_FOUND: 0xf0,
  FILE_INTEGRITY_ERROR: 0xf1,
} as const;

export type StatusName = keyof typeof STATUS;

const NAME_BY_CODE = new Map<number, StatusName>(
  (Object.entries(STATUS) as [StatusName, number][]).map(([name, code]) => [code, name]),
);

const MEANING: Record<StatusName, string> = {
  OPERATION_OK: 'successful operation',
  NO_CHANGES: 'no changes done to backup files',
  OUT_OF_EEPROM: 'insufficient memory on the card',
  ILLEGAL_COMMAND: 'command not supported',
  INTEGRITY_ERROR: 'CRC or MAC does not match, or invalid padding',
  NO_SUCH_KEY: 'invalid key number',
  LENGTH_ERROR: 'length of command string invalid',
  PERMISSION_DENIED: 'current configuration or status does not allow the command',
  PARAMETER_ERROR: 'value of a parameter invalid',
  APPLICATION_NOT_FOUND: 'requested application not present',
  APPL_INTEGRITY_ERROR: 'unrecoverable error within the application',
  AUTHENTICATION_ERROR: 'authentication failed or not authenticated',
  ADDITIONAL_FRAME: 'additional data frame expected',
  BOUNDARY_ERROR: 'attempt to read or write beyond limits',
  PICC_INTEGRITY_ERROR: 'unrecoverable error within the card',
  COMMAND_ABORTED: 'previous command was not fully completed',
  PICC_DISABLED: 'card was disabled by an unrecoverable error',
  COUNT_ERROR: 'number of applications limited to 28',
  DUPLICATE_ERROR: 'file or application already exists',
  EEPROM_ERROR: 'could not complete non-volatile write',
  FILE_NOT_FOUND: 'specified file number does not exist',
  FILE_INTEGRITY_ERROR: 'unrecoverable error within the file',
};

export function statusName(code: number): StatusName | 'UNKNOWN_STATUS' {
  return NAME_BY_CODE.get(code) ?? 'UNKNOWN_STATUS';
}

/** A card answered with a non-OK DESFire status. `status` names it for callers to switch on. */
export class DesfireStatusError extends Error {
  override name = 'DesfireStatusError';
  readonly status: StatusName | 'UNKNOWN_STATUS';
  constructor(
    readonly code: number,
    readonly command: number,
  ) {
    const status = statusName(code);
    const meaning = status === 'UNKNOWN_STATUS' ? 'unknown status' : MEANING[status];
    super(`card refused command ${hex8(command)}: ${status} (91${hex8(code)}, ${meaning})`);
    this.status = status;
  }
}

/** The answer was not DESFire at all (ISO status word, or too short). */
export class CardProtocolError extends Error {
  override name = 'CardProtocolError';
}

/** A response MAC did not verify: nothing in that answer may be trusted. */
export class SecureMessagingError extends Error {
  override name = 'SecureMessagingError';
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
