import { z } from 'zod';
import { MAX_ITEMS_PER_BATCH } from '../wire/batch.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../wire/codec.js';
import { DEFAULT_TOPIC_ROOT, isBrokerUrl, isTopicRoot } from '../wire/topics.js';
import { cronText, filePath, numberAbove, portNumber, text, timeZoneText, wholeNumber } from './schema-parts.js';

/**
 * The service sections of the gateway file (schedules, thresholds, MQTT, keys, metrics, retention):
 * everything that is not the field (buses, models, meters). See gateway-schema.ts for the whole file.
 */

export const SchedulesFileSchema = z.strictObject({
  /** Register reads through the day: the data for daily checks of offline and abnormal meters. */
  registers: cronText.default('0 */4 * * *'),
  /** The meters' own month-end snapshot, read after it exists (00:30 on the 1st). */
  billingSnapshot: cronText.default('30 0-4 1 * *'),
  /** "off" for gateways whose meters keep no load profile, or where it is not wanted centrally. */
  loadProfile: cronText.or(z.literal('off')).default('15 1 * * *'),
  clockCheck: cronText.or(z.literal('off')).default('45 2 * * *'),
  dailyDigest: cronText.default('0 6 * * *'),
  timeZone: timeZoneText.default('Asia/Ho_Chi_Minh'),
});

export const ThresholdsFileSchema = z.strictObject({
  /** Consecutive failed cycles before a meter is reported offline … */
  offlineAfterFailures: wholeNumber(1, 1000).default(3),
  /** … or hours without a good read. */
  offlineAfterHours: numberAbove(0, 24 * 62, 'a number of hours above 0, at most 1488').default(24),
  /** Share of a bus's meters failing in one cycle that makes it a bus event, not many meter events. */
  busSilentShare: numberAbove(0, 1, 'a share above 0, at most 1 (e.g. 0.8)').default(0.8),
  /** Consumption above this multiple of the expected is a spike (DOMAIN.md: ±30 % is the usual flag). */
  spikeRatio: numberAbove(1, 100, 'a ratio above 1, at most 100 (e.g. 1.3)').default(1.3),
  clockDriftSeconds: wholeNumber(1, 86_400).default(60),
  /** |KT − (BT + CD + TD)| above this, in the register's unit, is a tariff-sum mismatch. */
  tariffSumToleranceUnits: numberAbove(0, 1_000_000, 'a number 0..1000000', false).default(1),
  /** Hours without any advance of KT before a meter is suspected stuck (công tơ đứng). */
  stuckAfterHours: numberAbove(0, 24 * 62, 'a number of hours above 0, at most 1488').default(48),
  /** Days before a reading day on which offline and suspect meters are listed for a visit. */
  preCutoffDays: wholeNumber(0, 27).default(3),
});

/** Batch payload bytes that still fit the wire's message limit once base64 (4/3) and headers are added. */
const MAX_BATCH_PAYLOAD_BYTES = Math.floor((DEFAULT_MAX_MESSAGE_BYTES * 3) / 4) - 64 * 1024;

export const ReplayFileSchema = z.strictObject({
  maxBatchesPerSecond: numberAbove(0, 1000, 'a number above 0, at most 1000').default(5),
  maxBatchItems: wholeNumber(1, MAX_ITEMS_PER_BATCH).default(500),
  /** Payload bytes; the signed envelope adds base64 (4/3) and headers on top, within the wire limit. */
  maxBatchBytes: wholeNumber(1024, MAX_BATCH_PAYLOAD_BYTES).default(256 * 1024),
});

const MQTT_URL_TEXT = 'a broker URL such as mqtts://aggregator.example:8883 (mqtt, mqtts, ws, wss)';
export const MqttFileSchema = z
  .strictObject({
    url: z.string({ error: MQTT_URL_TEXT }).refine(isBrokerUrl, { error: MQTT_URL_TEXT }),
    username: text('a user name', 256).optional(),
    password: text('a password', 256).optional(),
    passwordFile: filePath('the path of a file holding the password').optional(),
    /** CA certificate(s) to trust for mqtts/wss, when the aggregator's certificate is not public. */
    caFile: filePath('the path of a PEM file').optional(),
    /**
     * This gateway's client certificate and its key, for an aggregator whose broker requires one
     * (`broker.tls.caFile`): both or neither, and only over TLS. An extra factor: the password still counts.
     */
    certFile: filePath('the path of the client certificate (PEM)').optional(),
    keyFile: filePath('the path of the client certificate key (PEM)').optional(),
    clientId: text('a client id', 128).optional(),
    topicRoot: z
      .string({ error: 'a topic root such as chiso/v1' })
      .refine(isTopicRoot, { error: 'a topic root such as chiso/v1: levels separated by /, no + # or leading $' })
      .default(DEFAULT_TOPIC_ROOT),
    keepaliveSeconds: wholeNumber(5, 65535).default(60),
    replay: ReplayFileSchema.prefault({}),
  })
  .superRefine((m, ctx) => {
    if (m.password !== undefined && m.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'either password or passwordFile, not both' });
    }
    // A certificate without its key (or the reverse) cannot be presented: say so now, not at every handshake.
    if (m.certFile !== undefined && m.keyFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['keyFile'], message: "a keyFile beside certFile (the client certificate's key), or neither" });
    } else if (m.keyFile !== undefined && m.certFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['certFile'], message: 'a certFile beside keyFile (the client certificate), or neither' });
    } else if (m.certFile !== undefined && isBrokerUrl(m.url) && !isTlsUrl(m.url)) {
      ctx.addIssue({ code: 'custom', path: ['certFile'], message: 'an mqtts:// (or wss://) url: a client certificate is only presented over TLS' });
    }
  });

/** The broker URLs mqtt.js connects over TLS (where a client certificate can be presented). */
function isTlsUrl(url: string): boolean {
  try {
    return ['mqtts:', 'wss:', 'ssl:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

export const KeysFileSchema = z.strictObject({
  /** The gateway's Ed25519 signing key (PKCS#8 PEM). */
  privateKeyFile: filePath('the path of the gateway private key (PEM)'),
  /** The aggregator's public key (SPKI PEM); without it, signed commands are refused. */
  aggregatorPublicKeyFile: filePath('the path of the aggregator public key (PEM)').optional(),
});

export const MetricsFileSchema = z.union(
  [
    z.literal(false),
    z.strictObject({
      host: text('a host or IP address to listen on', 253).default('127.0.0.1'),
      port: portNumber.default(9464),
    }),
  ],
  { error: 'false, or a mapping with host and port' },
);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const RetentionFileSchema = z.strictObject({
  /** Outbox bytes kept while the aggregator is unreachable; billing reads are never evicted. */
  maxBytes: wholeNumber(1024 * 1024, Number.MAX_SAFE_INTEGER, 'a whole number of bytes, at least 1048576').default(512 * 1024 * 1024),
  maxAgeDays: wholeNumber(1, 3650).default(90),
});
