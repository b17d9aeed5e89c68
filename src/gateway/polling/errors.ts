import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * What the poller itself finds wrong, as opposed to what the meter or the link did (MeterError):
 * configuration that does not match the meter, values that cannot be reported exactly, a port that
 * cannot be opened for the whole bus. Codes are stable and end up in MeterReadFailure.code.
 */
export type PollingErrorCode =
  | 'POLL_SERIAL_MISMATCH' // the meter at this address reports another serial than the config: wrong address or swapped meter
  | 'POLL_UNIT_MISMATCH' // the register's unit cannot be expressed in the configured one (varh asked as kWh)
  | 'POLL_BAD_VALUE' // a value that cannot be reported exactly (float register, no scaler_unit, not an integer)
  | 'POLL_NO_SNAPSHOT' // the billing profile holds no entry at the month boundary asked for
  | 'POLL_BACKED_OFF' // not polled this cycle: the meter failed recently and waits out its back-off
  | 'POLL_WRONG_BUS' // a meter handed to a poller that does not serve its connection
  | 'POLL_BAD_CONFIG'; // poller or schedule options that can never work

export class PollingError extends ChisoError<PollingErrorCode> {
  constructor(code: PollingErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
