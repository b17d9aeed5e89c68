import { z } from 'zod';
import { cronText, filePath, numberAbove, oneOf, text, wholeNumber } from './schema-parts.js';
import { LOG_LEVELS, MqttFileSchema } from './service-schema.js';

/**
 * The aggregator's configuration file, as zod sees it. Shapes, ranges and defaults only; the files it
 * points at (certificates, password and token files, the signing key) are checked by aggregator-files.ts.
 *
 * The `calendar` section's schema is passed in (`aggregatorFileSchema(CalendarSchema)`): it belongs to
 * src/aggregator/calendar, and src/config may not import the aggregator (scripts/check-layers.mjs). The
 * composition root hands it over, so calendar mistakes are still listed with the rest of the file's.
 */

const boolean = z.boolean({ error: 'true or false' });

/** Ports a service listens on: 0 lets the system pick a free one (tests, the demo). */
export const listenPort = wholeNumber(0, 65535, 'a TCP port 0..65535 (0 picks a free port)');
const listenHost = (fallback: string) => text('a host name or IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1', 253).default(fallback);

/** The wire's broker URL and topic root rules, reused from the gateway's mqtt section. */
const brokerUrl = MqttFileSchema.shape.url;
export const topicRootText = MqttFileSchema.shape.topicRoot;

const HTTP_URL_TEXT = 'an http:// or https:// URL, e.g. https://chiso.pc-hanoi.example';
const httpUrl = z.string({ error: HTTP_URL_TEXT }).refine(isHttpUrl, { error: HTTP_URL_TEXT });

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const EMBEDDED_TEXT = 'true (the built-in broker) or false (an external broker, with url and username)';

export const BrokerTlsFileSchema = z.strictObject({
  host: text('a host name or IP address to listen on', 253).optional(),
  port: listenPort.default(8883),
  certFile: filePath('the path of the broker certificate (PEM)'),
  keyFile: filePath('the path of the broker certificate key (PEM)'),
  /**
   * Set, the TLS listener requires a client certificate signed by this CA whose CN is the gateway id
   * (an extra factor: the gateway still logs in with its id and password). Unset, none is asked for.
   */
  caFile: filePath('the path of the CA certificate (PEM) that signs the gateways\' client certificates').optional(),
});

export const EmbeddedBrokerFileSchema = z.strictObject({
  embedded: z.literal(true, { error: EMBEDDED_TEXT }),
  host: listenHost('0.0.0.0'),
  port: listenPort.default(1883),
  tls: BrokerTlsFileSchema.optional(),
  /**
   * The broker URL handed to gateways at enrolment. Without it, the host name the gateway used to reach
   * the HTTP API is combined with the TLS port (mqtts) when TLS is on, else the plain port (mqtt).
   */
  publicUrl: brokerUrl.optional(),
});

export const ExternalBrokerFileSchema = z
  .strictObject({
    embedded: z.literal(false, { error: EMBEDDED_TEXT }),
    url: brokerUrl,
    /** The ingest's own login at the external broker (it must be allowed to read every gateway's topics). */
    username: text('a user name', 256),
    password: text('a password', 256).optional(),
    passwordFile: filePath('the path of a file holding the password').optional(),
    caFile: filePath('the path of a PEM file').optional(),
    /** What gateways are told at enrolment; the ingest's `url` when absent. */
    publicUrl: brokerUrl.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.password !== undefined && b.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'either password or passwordFile, not both' });
    }
  });

const BROKER_TEXT = EMBEDDED_TEXT;
export const BrokerFileSchema = z.discriminatedUnion('embedded', [EmbeddedBrokerFileSchema, ExternalBrokerFileSchema], { error: BROKER_TEXT });

/** At least 16 characters: the admin token is all that stands between the network and the operator API. */
const ADMIN_TOKEN_TEXT = 'an admin token of 16 to 256 characters (e.g. from `openssl rand -base64 32`)';
export const HttpFileSchema = z
  .strictObject({
    host: listenHost('127.0.0.1'),
    port: listenPort.default(8080),
    adminToken: z.string({ error: ADMIN_TOKEN_TEXT }).min(16, { error: ADMIN_TOKEN_TEXT }).max(256, { error: ADMIN_TOKEN_TEXT }).optional(),
    adminTokenFile: filePath('the path of a file holding the admin token').optional(),
    /** Largest JSON request body accepted. */
    maxBodyBytes: wholeNumber(1024, 1024 * 1024).default(64 * 1024),
    /** How the API is reached from outside (printed by `chiso enrol-token` in the provisioning hint). */
    publicUrl: httpUrl.optional(),
  })
  .superRefine((h, ctx) => {
    if (h.adminToken !== undefined && h.adminTokenFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['adminTokenFile'], message: 'either adminToken or adminTokenFile, not both' });
    }
  });

export const AggregatorKeysFileSchema = z.strictObject({
  /** The aggregator's Ed25519 key (PKCS#8 PEM) that signs commands; its public half goes to the gateways. */
  privateKeyFile: filePath('the path of the aggregator private key (PEM)'),
  /** Create the key at start when the file does not exist (demo, first installation). */
  generate: boolean.default(false),
});

export const EnrolmentFileSchema = z.strictObject({
  /** How long a one-time enrolment token stays usable: long enough to drive to the substation. */
  tokenTtlHours: numberAbove(0, 24 * 31, 'a number of hours above 0, at most 744').default(72),
});

/**
 * When the month's jobs run (node-cron, Vietnam time, seconds optional in front). The cutoff job closes
 * every book whose cutoff has passed, so it runs often; the others are daily.
 */
export const BookJobsFileSchema = z.strictObject({
  importScan: cronText.default('*/5 * * * *'),
  cutoff: cronText.default('*/5 * * * *'),
  dailyDigest: cronText.default('0 7 * * *'),
  preCutoffReport: cronText.default('0 8 * * *'),
  notices: cronText.default('*/10 * * * *'),
});

export const BooksFileSchema = z.strictObject({
  /** Where CMIS book files (XML) are picked up. */
  importDir: filePath('the path of a folder').optional(),
  /** Where filled-in books are written for CMIS. */
  exportDir: filePath('the path of a folder'),
  /** How far from the period end a plain read may be and still stand for it (a billing snapshot always does). */
  toleranceHours: numberAbove(0, 48, 'a number of hours above 0, at most 48, e.g. 6').default(6),
  /** Export each book right after its cutoff when nothing blocks it; otherwise an operator exports it. */
  autoExport: boolean.default(true),
  /** The pre-cutoff report lists offline points and open anomalies this many days before each cutoff. */
  preCutoffDays: wholeNumber(0, 28, 'a whole number of days 0..28').default(3),
  /** Worker threads that export books in parallel at the cutoff; 0 exports on the main thread. Default: up to 2, one per core. */
  exportWorkers: wholeNumber(0, 16, 'a whole number of worker threads 0..16 (0: export on the main thread)').optional(),
  jobs: BookJobsFileSchema.prefault({}),
});

/** Customer notices (B7): written to an outbox; `file` is where the built-in dispatcher hands them over. */
export const NoticesFileSchema = z.strictObject({
  enabled: boolean.default(true),
  channel: oneOf(['sms', 'email', 'web', 'paper'] as const).default('sms'),
});

export const AggregatorMetricsFileSchema = z.union(
  [
    z.literal(false),
    z.strictObject({
      host: text('a host or IP address to listen on', 253).default('127.0.0.1'),
      // 9464 is the gateway's default: a demo machine runs both.
      port: listenPort.default(9465),
    }),
  ],
  { error: 'false, or a mapping with host and port' },
);

export function aggregatorFileSchema<C extends z.ZodType>(calendar: C) {
  return z.strictObject(
    {
      aggregator: z.strictObject({ name: text('a name for people, e.g. PC Hà Nội central', 200) }),
      broker: BrokerFileSchema,
      topicRoot: topicRootText,
      dataDir: filePath('the path of the data folder'),
      http: HttpFileSchema.prefault({}),
      keys: AggregatorKeysFileSchema,
      enrolment: EnrolmentFileSchema.prefault({}),
      // Every field of the calendar has a default: a file without the section gets the defaults.
      calendar: calendar.prefault({} as z.input<C>),
      books: BooksFileSchema,
      notices: NoticesFileSchema.prefault({}),
      metrics: AggregatorMetricsFileSchema.prefault({}),
      logLevel: oneOf(LOG_LEVELS).default('info'),
    },
    { error: 'a mapping with the sections aggregator, broker, dataDir, http, keys, books …' },
  );
}

export type AggregatorFile<C extends z.ZodType> = z.output<ReturnType<typeof aggregatorFileSchema<C>>>;
