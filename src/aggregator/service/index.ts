/** The aggregator service: composition of the central DB, broker, ingest, HTTP API and metrics. */
export { buildAggregator, centralDbPath, type Aggregator, type AggregatorDeps, type AggregatorPorts } from './aggregator.js';
export { loadAggregatorKey, type AggregatorKey } from './aggregator-key.js';
export { centralQueries } from './central-queries.js';
export { EventReviews } from './event-reviews.js';
export { brokerUrlFor, ingestUrl } from './broker-urls.js';
