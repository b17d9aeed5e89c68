import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Why a phúc tra could not be asked for. The HTTP routes map each code to one API code
 * (reverify-routes.ts); callers match the code, never the message.
 */
export type ReverifyErrorCode =
  /** No read and no book row names the metering point anywhere. */
  | 'REVERIFY_POINT_UNKNOWN'
  /** The point is known but no read says which meter and gateway serve it, or no KT read to compare with. */
  | 'REVERIFY_NO_METER'
  /** A request for the point is still waiting for its answer or its read. */
  | 'REVERIFY_PENDING'
  /** The broker refused the subscription to the gateways' command responses. */
  | 'REVERIFY_SUBSCRIBE_REFUSED';

export class ReverifyError extends ChisoError<ReverifyErrorCode> {
  constructor(code: ReverifyErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
