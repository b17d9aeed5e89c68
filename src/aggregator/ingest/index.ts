/** The verified ingest: MQTT in, signed batches checked and stored, acks out after the commit. */
export { buildIngest, INGEST_KINDS, type Ingest, type IngestConfig, type IngestDeps } from './ingest.js';
export { IngestPipeline, type AckSink, type PipelineSettings } from './pipeline.js';
export { decideGroup, type IngestItem, type IngestKind, type ItemResult, type GroupOutcome, type AckFields } from './decide.js';
export { inlineStore, type GroupStore } from './group-store.js';
export { startWorkerStore, storeWorkerScript, type WorkerStoreOptions } from './worker-store.js';
export { inlineOpener, type BatchOpener, type OpenResult } from './opener.js';
export { refusalOf, peekRange, type Refusal, type UnverifiedRange } from './refusal.js';
