import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * What the gateway service refuses or cannot do as a whole, as opposed to one meter's failure
 * (MeterError, PollingError). These codes reach central in command responses.
 */
export type GatewayErrorCode =
  | 'GATEWAY_UNKNOWN_METER' // a command names a meter this gateway does not serve
  | 'GATEWAY_UNKNOWN_REGISTER' // a read-now asks for a register the meter's model does not read
  | 'GATEWAY_REGISTER_NOT_READ' // a read-now's register did not come back (the meter refused that attribute)
  | 'GATEWAY_CLOCK_JUMP_REFUSED' // a clock correction larger than the limits: a person must look first
  | 'GATEWAY_CLOCK_SYNC_FAILED' // the meter could not be read or set
  | 'GATEWAY_READ_NOT_STORED' // a read-now read the meter but the outbox refused its reads (disk full, corrupt)
  | 'GATEWAY_RELOAD_REFUSED'; // the new config file is bad, or changes what only a restart may change

export class GatewayError extends ChisoError<GatewayErrorCode> {
  constructor(code: GatewayErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
