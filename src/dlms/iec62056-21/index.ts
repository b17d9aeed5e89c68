/** IEC 62056-21 mode C readout and mode E hand-over to HDLC: messages, data block, parity, machines. */
export { BAUD_RATES, INITIAL_BAUD, baudChar, baudFromChar, isBaudRate, type BaudRate } from './baud.js';
export { blockCheck } from './bcc.js';
export { ACK, CR, ETX, LF, NAK, SOH, STX } from './chars.js';
export {
  dataBlockEnd,
  encodeDataBlock,
  encodeDataLine,
  parseDataBlock,
  type DataBlock,
  type DataLine,
  type DataValue,
} from './data-block.js';
export { DEFAULT_EDIS_TO_OBIS, edisToObis, mapReadout, type EdisTable, type MappedValue } from './edis.js';
export { transmitMs, type Iec21Effect, type SerialFormat } from './effects.js';
export {
  CAPABILITY_MODE_E,
  MAX_ADDRESS_LENGTH,
  MAX_IDENT_LENGTH,
  encodeIdentification,
  encodeOptionSelect,
  encodeRequest,
  offersModeE,
  parseIdentification,
  parseOptionSelect,
  parseRequest,
  type Identification,
  type ModeControl,
  type OptionSelect,
  type ProtocolControl,
  type RequestMessage,
} from './messages.js';
export { addEvenParity, parityErrorOffset, stripParity } from './parity.js';
export {
  clientNext,
  initialClientState,
  type ClientInput,
  type ClientMode,
  type ClientOptions,
  type ClientState,
  type ClientStep,
} from './client.js';
export {
  initialServerState,
  serverIdentification,
  serverNext,
  type ServerConfig,
  type ServerInput,
  type ServerState,
  type ServerStep,
} from './server.js';
