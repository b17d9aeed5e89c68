import { ChisoError, type ErrorContext } from '../../src/shared/errors.js';

/** A simulated meter built or driven with settings that cannot describe a real meter. */
export type MeterSimErrorCode = 'SIM_BAD_CONFIG' | 'SIM_BAD_FAULT';

export class MeterSimError extends ChisoError<MeterSimErrorCode> {
  constructor(code: MeterSimErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
