/** The aggregator's central database: gateways and keys, stream positions, reads, events, refusals. */
export { openCentralDb, type CentralDb, type CentralDbOptions } from './central-db.js';
export { centralMigrations } from './schema.js';
export { GatewayRegistry, type GatewayRow, type GatewayKeyRow, type GatewayState } from './gateways.js';
export { BatchWriter, type SignedBytes, type VerifiedBatch, type StoreOutcome } from './batch-writer.js';
export { SignedBatches, type StoredSignedBatch, type StoredBatchCheck } from './signed-batches.js';
export { RefusalLog, type RefusalRecord, type RefusalStage, type StoredRefusal } from './refusals.js';
export { Enrolment, type IssuedToken, type Enrolled, type ConsumeRequest } from './enrolment.js';
export { hashCredential, verifyCredential, newSecret, secretsEqual, DEFAULT_SCRYPT, type ScryptParams } from './credentials.js';
export { CentralError, type CentralErrorCode } from './errors.js';
