import { ChisoError, type ErrorContext } from '../../src/shared/errors.js';

/**
 * A fleet that cannot be built as configured (FLEET_BAD_CONFIG: the message names the path in the
 * file, e.g. `gateways[0].buses[1].baud`), or a question about a meter or period the fleet does not have.
 */
export type FleetErrorCode = 'FLEET_BAD_CONFIG' | 'FLEET_UNKNOWN_METER' | 'FLEET_BAD_PERIOD';

export class FleetError extends ChisoError<FleetErrorCode> {
  constructor(code: FleetErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
