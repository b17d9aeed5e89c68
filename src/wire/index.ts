/**
 * Everything that crosses the MQTT wire between a gateway and the aggregator. Both services import this
 * module and never each other. See README.md for topics, messages, signing and the version policy.
 */
export * from './errors.js';
export * from './topics.js';
export * from './primitives.js';
export {
  WIRE_VERSION,
  DEFAULT_MAX_MESSAGE_BYTES,
  formatPath,
  encodeMessage,
  decodeMessage,
} from './codec.js';
export * from './keys.js';
export * from './reads.js';
export * from './sequence.js';
export { SIGNED_TYPES, SignedEnvelopeSchema, verifySigned, type EnvelopeHeader, type SignedEnvelope, type SignedType, type VerifiedEnvelope } from './envelope.js';
export {
  MAX_ITEMS_PER_BATCH,
  ReadBatchSchema,
  signBatch,
  openSignedBatch,
  readVerifiedBatch,
  type ReadBatch,
  type ReadBatchInput,
  type SignOptions,
  type OpenOptions,
  type OpenedBatch,
} from './batch.js';
export * from './events.js';
export * from './status.js';
export * from './ack.js';
export * from './commands.js';
export * from './enrolment.js';
