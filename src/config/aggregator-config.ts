import type { LogLevel } from './gateway-config.js';

/**
 * The aggregator's effective configuration: the file after validation, defaults, `${ENV}` substitution,
 * path resolution, and the secret and certificate files read. Nothing downstream reads the file, the
 * environment or those files again. `Cal` is the calendar section as the schema handed to the loader
 * parses it (src/aggregator/calendar's Calendar in the service).
 */
export interface AggregatorConfig<Cal = unknown> {
  /** Absolute path of the file it came from. */
  source: string;
  aggregator: { name: string };
  broker: EmbeddedBrokerSettings | ExternalBrokerSettings;
  topicRoot: string;
  /** Absolute path; the central database lives here. */
  dataDir: string;
  http: HttpSettings;
  keys: { privateKeyFile: string; generate: boolean };
  enrolment: { tokenTtlHours: number };
  calendar: Cal;
  books: BookSettings;
  notices: { enabled: boolean; channel: 'sms' | 'email' | 'web' | 'paper' };
  metrics: { host: string; port: number } | false;
  logLevel: LogLevel;
}

export interface BookSettings {
  /** Absolute paths. */
  importDir?: string;
  exportDir: string;
  toleranceHours: number;
  autoExport: boolean;
  preCutoffDays: number;
  /** Export pool size at the cutoff (books/export-pool.ts); undefined: up to 2, one per core. */
  exportWorkers?: number;
  /** Cron expressions (Vietnam time). */
  jobs: { importScan: string; cutoff: string; dailyDigest: string; preCutoffReport: string; notices: string };
}

export interface EmbeddedBrokerSettings {
  embedded: true;
  host: string;
  port: number;
  /**
   * PEM texts, read at load time so a missing certificate stops the start with the other problems. With
   * `ca`, the TLS listener requires gateway client certificates signed by it (CN = gateway id).
   */
  tls?: { host?: string; port: number; certFile: string; keyFile: string; caFile?: string; cert: string; key: string; ca?: string };
  publicUrl?: string;
}

export interface ExternalBrokerSettings {
  embedded: false;
  url: string;
  username: string;
  password?: string;
  caFile?: string;
  ca?: string;
  publicUrl?: string;
}

export interface HttpSettings {
  host: string;
  port: number;
  /** Guards the operator endpoints; undefined turns them off (tokens can still be issued with `chiso enrol-token`). */
  adminToken?: string;
  maxBodyBytes: number;
  publicUrl?: string;
}
