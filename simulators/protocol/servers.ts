/**
 * The simulator's I/O: meters served over TCP (wrapper or HDLC) and on a pseudo-terminal RS485 bus. The
 * protocol itself lives in the sans-IO endpoint (meter-endpoint.ts) and application server; these only
 * move bytes, pace them and run timers.
 */
export { startTcpMeterServer, type TcpMeterServer, type TcpMeterServerOptions, type SettingsOption } from './tcp-server.js';
export { startPtyBus, type PtyBus, type PtyBusOptions } from './pty-bus.js';
export {
  DEFAULT_ADDRESS_SIZE,
  FIRST_PHYSICAL_ADDRESS,
  physicalAddressOf,
  wrapperPortOf,
  type ServedMeter,
} from './addressing.js';
export type { Iec21SignOn, MeterProtocolSettings } from './meter-endpoint.js';
