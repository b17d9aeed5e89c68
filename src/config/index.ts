/** Configuration: the only reader of configuration files, password files and the environment for settings. */
export type { BusDefinition, MeterConnection, MeterDefinition, RegisterMapping, ServerAddressSpec } from './field.js';
export { ConfigError, formatProblem, type ConfigErrorCode, type ConfigProblem } from './errors.js';
export { loadGatewayConfig, parseGatewayConfig, type LoadOptions } from './load-gateway-config.js';
export type { GatewayConfig, LogLevel, MeterModel, MqttSettings, Schedules, Thresholds } from './gateway-config.js';
export { configHash, canonicalJson, withoutSecrets, SECRET_MARKER } from './config-hash.js';
export { GatewayFileSchema, type GatewayFile } from './gateway-schema.js';
export type { ConfigFiles } from './file-refs.js';
export type { Env } from './env-substitution.js';
