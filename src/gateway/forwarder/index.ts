/** The gateway → aggregator sender: outbox rows out as signed batches, acks in, commands in. */
export { createForwarder } from './forwarder.js';
export { forwarderMqttOptions } from './mqtt-settings.js';
export { DEFAULT_REPLAY, type Forwarder, type ForwarderOptions, type ForwarderMqttOptions, type ForwarderStatus, type ReplaySettings } from './options.js';
export type { CommandHandler } from './commands.js';
export { ForwarderError, FORWARDER_ERROR_CODES, type ForwarderErrorCode } from './errors.js';
export type { ForwarderLogger } from './logger.js';
