/** Phúc tra (B6): an independent read of a metering point on an operator's request, compared with the stored index. */
export { Reverifier, toReverification, TOTAL_IMPORT, type Reverification, type ReverifierDeps, type ReverifierSettings, type CommandPublisher } from './reverifier.js';
export { compareReads, DEFAULT_MAX_KWH_PER_HOUR, type Comparison, type CompareOptions, type ReadToCompare, type Verdict } from './compare.js';
export { mqttPublisher, subscribeCommandResponses, type CommandMqttClient, type ResponseHandler } from './mqtt.js';
export { buildReverifyService, type ReverifyService, type ReverifyServiceDeps, type ReverifyServiceSettings } from './service.js';
export { ReverifyError, type ReverifyErrorCode } from './errors.js';
export type { ReverificationRow } from './queries.js';
