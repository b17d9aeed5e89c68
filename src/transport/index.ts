export type { Transport } from './transport.js';
export { TransportError, isTransportError, isRetryable, type TransportErrorCode, type OpenFailureReason } from './errors.js';
export { createTcpTransport, type TcpOptions } from './tcp.js';
export { createSerialTransport, describeSerialOpenError, type SerialOptions, type SerialTransport } from './serial.js';
export { createMemoryPair, type MemoryPairOptions } from './memory.js';
export { BusLock, BusRegistry, busLocks, canonicalDevicePath } from './bus.js';
export { withInterFrameGap, type GapOptions, type GappedTransport } from './gap.js';
export { countingTransport, type CountingTransport, type TransportStats } from './counting.js';
export { pacedTransport, transmitMs, pacedCompletion, type PaceOptions } from './paced.js';
export {
  FORMAT_7E1,
  FORMAT_8N1,
  formatName,
  parseFormat,
  bitsPerCharacter,
  sameFormat,
  addEvenParity,
  stripParity,
  evenParityErrors,
  type LineFormat,
} from './line-format.js';
