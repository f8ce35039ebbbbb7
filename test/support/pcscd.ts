// The integration tests' pcscd: a real one they start and stop themselves, or
// one already running that they borrow and leave alone. See hardware/pcsc/pcscd-process.ts.
export {
  startPcscd,
  canConnect,
  isTcpListening,
  PCSCD_PATH,
  PCSCD_SOCKET_PATH,
  VPCD_DRIVER_PATH,
  VPCD_PORTS,
  VPCD_READER_NAMES,
  type PcscdHandle,
} from '../../hardware/pcsc/pcscd-process';
