import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { Outbox } from '../../store/index.js';
import type { Backlog as WireBacklog, SequenceStream } from '../../wire/index.js';
import type { CommandHandler } from './commands.js';
import { ForwarderError } from './errors.js';
import type { ForwarderLogger } from './logger.js';

/** createForwarder's settings and the forwarder's public face. */
export interface ReplaySettings {
  /** Batches per any 1 s window, over both streams, first sends and resends alike. */
  readonly maxBatchesPerSecond: number;
  readonly maxBatchItems: number;
  /** Payload bytes of the rows in one batch (the signed envelope is about 4/3 of that). */
  readonly maxBatchBytes: number;
  /** Batches sent and not acknowledged, per stream. */
  readonly maxInFlightBatches: number;
  /** Resend from the oldest unacked when an ack is this late (doubles per consecutive miss, up to the max). */
  readonly ackTimeoutMs: number;
  readonly ackTimeoutMaxMs: number;
  /** Pause after a refusal (doubles per consecutive refusal, up to the max). */
  readonly refusalBackoffMs: number;
  readonly refusalBackoffMaxMs: number;
}

export const DEFAULT_REPLAY: ReplaySettings = {
  maxBatchesPerSecond: 20,
  maxBatchItems: 200,
  maxBatchBytes: 256 * 1024,
  maxInFlightBatches: 4,
  ackTimeoutMs: 30_000,
  ackTimeoutMaxMs: 10 * 60_000,
  refusalBackoffMs: 5_000,
  refusalBackoffMaxMs: 10 * 60_000,
};

export interface ForwarderMqttOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Stable across restarts (the persistent session lives under it); default `chiso-gw-{gatewayId}`. */
  readonly clientId?: string;
  readonly topicRoot?: string;
  /**
   * PEM text of the CA certificate(s) to trust for `mqtts://` / `wss://`, for an aggregator whose broker
   * certificate comes from a private CA. It replaces Node's list of public CAs for this connection (the
   * gateway then trusts only the utility's CA). Absent: the public CAs.
   */
  readonly ca?: string;
  /**
   * PEM text of this gateway's client certificate (chain) and its private key, presented in the TLS
   * handshake to a broker that requires one (the aggregator's `broker.tls.caFile`). Both or neither.
   */
  readonly cert?: string;
  readonly key?: string;
  readonly keepaliveSeconds?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
}

export interface ForwarderOptions {
  readonly gatewayId: string;
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** The reads outbox: rows of kind 'read', numbered in the `reads` stream. */
  readonly outbox: Outbox;
  /**
   * The events outbox, in a store of its own: the wire numbers reads and events in separate streams without
   * holes, and an Outbox has one sequence space. Without it, nothing is sent on `…/events`.
   */
  readonly eventsOutbox?: Outbox;
  /** The aggregator's command-signing public keys (several during a rotation). */
  readonly aggregatorKeys: readonly KeyObject[];
  readonly mqtt: ForwarderMqttOptions;
  readonly replay?: Partial<ReplaySettings>;
  readonly heartbeatSeconds?: number;
  /**
   * The clock of pacing, ack timeouts, reconnects and the heartbeat (default: `clock`). These measure a
   * network, so the service passes real time when `clock` is simulated.
   */
  readonly timers?: Clock;
  readonly clock?: Clock;
  readonly logger: ForwarderLogger;
  readonly version: string;
  readonly configHash: string;
  /** Backlog for birth and heartbeat; default: both outboxes. */
  readonly backlog?: () => WireBacklog;
  /** Meter counts for the heartbeat, when the poller can say. */
  readonly meters?: () => { total: number; online: number };
}

export interface ForwarderStatus {
  readonly connected: boolean;
  /** When the last `stored`/`duplicate` ack was applied (ms), null before the first. */
  readonly lastAckAt: number | null;
  /** Batches sent and not acknowledged, both streams. */
  readonly inFlight: number;
  readonly backlog: WireBacklog;
  /** Streams held back after a refusal or an unsendable row, with the reason. */
  readonly paused: readonly { stream: SequenceStream; until: number; reason: string }[];
}

export interface Forwarder {
  start(): void;
  /** Publishes the `shutdown` status, ends the MQTT session and stops every timer. Rows stay in the outbox. */
  close(): Promise<void>;
  /** Call after appending to an outbox: sends now if the window and the pacing allow. */
  wake(): void;
  status(): ForwarderStatus;
  /** The handler for verified commands (one; a second call replaces it). */
  onCommand(handler: CommandHandler): void;
}

export function checkReplay(r: ReplaySettings): ReplaySettings {
  for (const [name, value] of Object.entries(r)) {
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new ForwarderError('FORWARDER_BAD_OPTIONS', `forwarder: replay.${name} must be an integer >= 1, got ${String(value)}`, {
        context: { setting: `replay.${name}` },
      });
    }
  }
  return r;
}
