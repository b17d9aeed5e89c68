import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Detection is pure logic, so its only failures are bad inputs: thresholds out of range, a persisted state
 * that does not parse, or a read value that is not a decimal. Each names the field and the value.
 */
export type DetectionErrorCode =
  | 'DETECTION_BAD_THRESHOLD' // a threshold outside its meaningful range (ratio ≤ 1, negative hours …)
  | 'DETECTION_BAD_STATE' // persisted detection state (JSON) that does not match the expected shape
  | 'DETECTION_BAD_INPUT'; // a read or history entry that cannot be used (value not a decimal …)

export class DetectionError extends ChisoError<DetectionErrorCode> {
  constructor(code: DetectionErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
