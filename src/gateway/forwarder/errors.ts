import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * What the forwarder reports. Codes are stable: alarms and command responses carry them, nobody matches
 * message text.
 */
export const FORWARDER_ERROR_CODES = [
  'FORWARDER_BAD_OPTIONS', // createForwarder was given settings it cannot work with
  'FORWARDER_BAD_ITEM', // an outbox row cannot be put on the wire (wrong kind, invalid record): a bug upstream
  'FORWARDER_REWIND_IMPOSSIBLE', // the aggregator asks for items this gateway already deleted after an ack
  'FORWARDER_NO_HANDLER', // a valid command arrived and nothing is registered to execute it
  'FORWARDER_COMMAND_FAILED', // the command handler threw something that is not a ChisoError
  'FORWARDER_CLOSED', // used after close()
] as const;
export type ForwarderErrorCode = (typeof FORWARDER_ERROR_CODES)[number];

export class ForwarderError extends ChisoError<ForwarderErrorCode> {
  constructor(code: ForwarderErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
