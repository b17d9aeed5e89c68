import type { Outbox } from '../../store/index.js';
import { systemClock, type TimerHandle } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import {
  DEFAULT_TOPIC_ROOT,
  decodeAck,
  gatewayTopics,
  keyIdOf,
  TOPIC_QOS,
  type AckMessage,
  type Backlog as WireBacklog,
  type SequenceStream,
} from '../../wire/index.js';
import { contiguousPrefix, signItems, type Signer } from './batch.js';
import { CommandIntake } from './commands.js';
import { ForwarderError } from './errors.js';
import type { ForwarderLogger } from './logger.js';
import { MqttLink } from './mqtt-link.js';
import { checkReplay, DEFAULT_REPLAY, type Forwarder, type ForwarderOptions } from './options.js';
import { Pacer } from './pacer.js';
import { heartbeatPayload, outboxBacklog, statusPayload, type StatusContext } from './status-messages.js';
import { StreamWindow } from './stream-window.js';

interface StreamState {
  readonly name: SequenceStream;
  readonly outbox: Outbox;
  readonly window: StreamWindow;
  readonly topic: string;
  readonly log: ForwarderLogger;
  /** After a sequence-gap: the seq the aggregator asked for, checked against what the outbox still holds. */
  rewindTarget: number | undefined;
  pauseReason: string;
}

/** Refusals that will not go away by retrying: a person must register a key or fix a gateway. */
const NEEDS_A_PERSON = new Set(['unknown-gateway', 'unknown-key', 'bad-signature', 'gateway-mismatch', 'malformed', 'unsupported-version', 'too-large']);

/**
 * The gateway's store-and-forward sender. Rows are in the outbox before anything is sent; this sends them as
 * signed batches over MQTT QoS 1 and deletes them only on the aggregator's application ack (`stored` or
 * `duplicate` on `…/ack`), never on the broker's PUBACK. Refused rows stay for an operator to look at.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const replay = checkReplay({ ...DEFAULT_REPLAY, ...options.replay });
  const clock = options.clock ?? systemClock;
  // Pacing, ack timeouts, reconnects and the heartbeat measure a network: real time even when `clock`
  // (the stamps on what is sent) runs simulated, as in the demo and the truth test.
  const timers = options.timers ?? clock;
  const log = options.logger.child({ component: 'forwarder', gatewayId: options.gatewayId });
  const root = options.mqtt.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const topics = topicsOf(options.gatewayId, root);
  if (keyIdOf(options.privateKey) !== options.keyId) {
    throw new ForwarderError('FORWARDER_BAD_OPTIONS', `forwarder: keyId ${options.keyId} is not the id of the signing key (${keyIdOf(options.privateKey)})`);
  }
  if ((options.mqtt.cert === undefined) !== (options.mqtt.key === undefined)) {
    throw new ForwarderError('FORWARDER_BAD_OPTIONS', 'forwarder: mqtt.cert and mqtt.key go together (a client certificate and its key), or neither', { context: { setting: 'mqtt.cert' } });
  }
  const signer: Signer = { gatewayId: options.gatewayId, keyId: options.keyId, privateKey: options.privateKey };
  const statusCtx: StatusContext = { gatewayId: options.gatewayId, keyId: options.keyId, version: options.version, configHash: options.configHash };
  const outboxes = options.eventsOutbox === undefined ? [options.outbox] : [options.outbox, options.eventsOutbox];
  const backlog = options.backlog ?? (() => outboxBacklog(outboxes));
  const aggregatorKeys = new Map(options.aggregatorKeys.map((k) => [keyIdOf(k), k]));
  const windowSettings = {
    maxInFlight: replay.maxInFlightBatches,
    refusalBackoffMs: { initial: replay.refusalBackoffMs, max: replay.refusalBackoffMaxMs },
    ackTimeoutMs: { initial: replay.ackTimeoutMs, max: replay.ackTimeoutMaxMs },
  };
  const stream = (name: SequenceStream, outbox: Outbox): StreamState => ({
    name,
    outbox,
    window: new StreamWindow(windowSettings),
    topic: topics[name],
    log: log.child({ stream: name }),
    rewindTarget: undefined,
    pauseReason: '',
  });
  const streams: StreamState[] = [stream('reads', options.outbox)];
  if (options.eventsOutbox !== undefined) streams.push(stream('events', options.eventsOutbox));

  const pacer = new Pacer(replay.maxBatchesPerSecond);
  const intake = new CommandIntake({ gatewayId: options.gatewayId, lookupKey: (id) => aggregatorKeys.get(id), clock, logger: log.child({ part: 'commands' }) });
  const startedAt = clock.now();
  let started = false;
  let closed = false;
  let lastAckAt: number | null = null;
  let tick: { handle: TimerHandle; at: number } | undefined;
  let heartbeat: TimerHandle | undefined;

  const link = new MqttLink({
    url: options.mqtt.url,
    // The aggregator's broker accepts a gateway only with its own id as client id (no session stealing).
    clientId: options.mqtt.clientId ?? options.gatewayId,
    username: options.mqtt.username,
    password: options.mqtt.password,
    ca: options.mqtt.ca,
    cert: options.mqtt.cert,
    key: options.mqtt.key,
    keepaliveSeconds: options.mqtt.keepaliveSeconds ?? 30,
    connectTimeoutMs: options.mqtt.connectTimeoutMs ?? 10_000,
    reconnect: { initialMs: options.mqtt.reconnectInitialMs ?? 1_000, maxMs: options.mqtt.reconnectMaxMs ?? 60_000 },
    will: () => ({ topic: topics.status, payload: statusPayload(statusCtx, 'offline', 'will', clock.now()) }),
    subscriptions: [topics.ack, topics.cmd],
    clock: timers,
    logger: log.child({ part: 'mqtt' }),
    onConnect: () => connected(),
    onClose: () => undefined,
    onMessage: (topic, payload) => message(topic, payload),
  });

  function publish(topic: string, payload: Uint8Array, kind: keyof typeof TOPIC_QOS): Promise<void> {
    const { qos, retain } = TOPIC_QOS[kind];
    return link.publish(topic, payload, qos === 0 ? 0 : 1, retain).catch((err: unknown) => {
      // The rows stay in the outbox and go again after reconnect; nothing to do but note it.
      log.debug({ err, topic }, `publish not completed: ${errorMessage(err)}`);
    });
  }

  function connected(): void {
    if (closed) return;
    // The broker may have lost what was in flight (restart, expired session): resend from the oldest unacked.
    for (const s of streams) {
      s.window.restart();
      s.rewindTarget = undefined;
    }
    void publish(topics.status, statusPayload(statusCtx, 'online', 'birth', clock.now(), safeBacklog()), 'status');
    drain();
  }

  function message(topic: string, payload: Buffer): void {
    if (closed) return;
    if (topic === topics.ack) handleAck(payload);
    else if (topic === topics.cmd) {
      intake
        .receive(payload)
        .then((response) => (response === undefined || closed ? undefined : publish(topics['cmd/response'], response, 'cmd/response')))
        .catch((err: unknown) => log.error({ err }, `command handling failed: ${errorMessage(err)}`));
    } else log.debug({ topic }, 'message on a topic we do not handle');
  }

  function handleAck(payload: Uint8Array): void {
    let ack: AckMessage;
    try {
      ack = decodeAck(payload);
    } catch (err) {
      log.warn({ err }, `unreadable ack ignored: ${errorMessage(err)}`);
      return;
    }
    const s = streams.find((x) => x.name === ack.stream);
    if (ack.gatewayId !== options.gatewayId || s === undefined) {
      log.warn({ ackGateway: ack.gatewayId, stream: ack.stream }, 'ack for another gateway or a stream we do not send: ignored');
      return;
    }
    if (ack.epoch !== s.outbox.streamId) {
      // Another sequence space (a store since replaced): its ranges mean nothing in ours.
      s.log.warn({ epoch: ack.epoch, ours: s.outbox.streamId, seqFrom: ack.seqFrom, seqTo: ack.seqTo }, 'ack for another epoch ignored');
      return;
    }
    const now = timers.now();
    const range = { seqFrom: ack.seqFrom, seqTo: ack.seqTo };
    const decision = s.window.onAck(ack, now);
    switch (decision.kind) {
      case 'delete':
        try {
          const stamp = clock.now();
          const deleted = s.outbox.ack(decision.seqFrom, decision.seqTo, stamp);
          lastAckAt = stamp;
          s.pauseReason = '';
          s.log.debug({ ...range, result: ack.result, deleted }, 'acked');
        } catch (err) {
          s.log.error({ err, ...range }, `ack could not be applied to the outbox: ${errorMessage(err)}`);
        }
        break;
      case 'rewind':
        s.rewindTarget = decision.fromSeq;
        s.log.info({ ...range, expectedSeq: decision.fromSeq }, 'sequence gap at the aggregator: resending from its expected seq');
        break;
      case 'pause': {
        const reason = ack.reason ?? 'refused';
        s.pauseReason = `refused: ${reason}${ack.detail === undefined ? '' : ` (${ack.detail})`}`;
        const fields = { ...range, reason, detail: ack.detail, retryAt: new Date(decision.until).toISOString(), attempt: decision.attempt };
        // The rows stay: never delete what central refused. Retrying is cheap; the log says who must act.
        if (NEEDS_A_PERSON.has(reason)) s.log.error(fields, `aggregator refused batch ${ack.seqFrom}..${ack.seqTo} (${reason}); rows kept, an operator must look`);
        else s.log.warn(fields, `aggregator refused batch ${ack.seqFrom}..${ack.seqTo} (${reason}); rows kept, retrying later`);
        break;
      }
      case 'ignore':
        s.log.debug({ ...range, why: decision.why }, 'refusal ignored');
        break;
    }
    drain();
  }

  /** Sends what the windows and the pacer allow, then arms the timer for whatever must happen next. */
  function drain(): void {
    if (!started || closed || !link.connected) return;
    let pacerWait = 0;
    for (let progressed = true; progressed && pacerWait === 0; ) {
      progressed = false;
      for (const s of streams) {
        const now = timers.now();
        if (!s.window.canSend(now)) continue;
        pacerWait = pacer.delay(now);
        if (pacerWait > 0) break;
        if (sendNext(s, now)) progressed = true;
      }
    }
    arm(pacerWait);
  }

  function sendNext(s: StreamState, now: number): boolean {
    try {
      const rows = contiguousPrefix(s.outbox.nextBatch({ maxItems: replay.maxBatchItems, maxBytes: replay.maxBatchBytes, afterSeq: s.window.cursor }));
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first === undefined || last === undefined) return false;
      const target = s.rewindTarget;
      s.rewindTarget = undefined;
      if (target !== undefined && first.seq > target) {
        throw new ForwarderError(
          'FORWARDER_REWIND_IMPOSSIBLE',
          `the aggregator expects ${s.name} seq ${target} but the outbox starts at ${first.seq}: rows in between were acked or pruned (did the aggregator lose its state, or miss an outbox-pruned event?)`,
          { context: { stream: s.name, expectedSeq: target, oldestSeq: first.seq } },
        );
      }
      const payload = signItems(s.name, rows, s.outbox.streamId, clock.now(), signer);
      pacer.record(now);
      s.window.sent(first.seq, last.seq, now);
      s.outbox.markSent(first.seq, last.seq, clock.now());
      void publish(s.topic, payload, s.name);
      return true;
    } catch (err) {
      const { until, attempt } = s.window.pause(now);
      s.pauseReason = errorMessage(err);
      s.log.error({ err, code: (err as { code?: unknown }).code, retryAt: new Date(until).toISOString(), attempt }, `${s.name} stream held back: ${errorMessage(err)}`);
      return false;
    }
  }

  /** One timer for the next thing due: the pacer, a pause ending, an ack timing out. */
  function arm(pacerWait: number): void {
    const now = timers.now();
    const due: number[] = [];
    if (pacerWait > 0) due.push(now + pacerWait);
    for (const s of streams) {
      if (s.window.pausedUntil > now) due.push(s.window.pausedUntil);
      const deadline = s.window.ackDeadline();
      if (deadline !== undefined) due.push(deadline);
    }
    if (due.length === 0) return;
    const at = Math.max(now, Math.min(...due));
    if (tick !== undefined && tick.at <= at) return;
    if (tick !== undefined) timers.clearTimeout(tick.handle);
    tick = { at, handle: timers.setTimeout(onTick, at - now) };
  }

  function onTick(): void {
    tick = undefined;
    const now = timers.now();
    for (const s of streams) {
      if (link.connected && s.window.checkAckTimeout(now)) s.log.warn({ cursor: s.window.cursor }, 'no ack in time: resending from the oldest unacked');
    }
    drain();
  }

  function beat(): void {
    heartbeat = undefined;
    if (closed) return;
    if (link.connected) {
      const now = clock.now();
      void publish(topics.heartbeat, heartbeatPayload(options.gatewayId, now, (now - startedAt) / 1000, safeBacklog(), options.meters?.()), 'heartbeat');
    }
    heartbeat = timers.setTimeout(beat, (options.heartbeatSeconds ?? 60) * 1000);
  }

  function safeBacklog(): WireBacklog | undefined {
    try {
      return backlog();
    } catch (err) {
      log.warn({ err }, `backlog unavailable: ${errorMessage(err)}`);
      return undefined;
    }
  }

  return {
    start() {
      if (closed) throw new ForwarderError('FORWARDER_CLOSED', 'forwarder: start() after close()');
      if (started) return;
      started = true;
      link.start();
      heartbeat = timers.setTimeout(beat, (options.heartbeatSeconds ?? 60) * 1000);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (tick !== undefined) timers.clearTimeout(tick.handle);
      if (heartbeat !== undefined) timers.clearTimeout(heartbeat);
      tick = undefined;
      heartbeat = undefined;
      if (link.connected) {
        const shutdown = publish(topics.status, statusPayload(statusCtx, 'offline', 'shutdown', clock.now(), safeBacklog()), 'status');
        // A real timer, not the Clock: this bounds network I/O, and a test's manual clock must not hang close().
        await Promise.race([shutdown, new Promise((r) => setTimeout(r, 1_000))]);
      }
      await link.close();
    },
    wake: drain,
    status() {
      const now = timers.now();
      return {
        connected: link.connected,
        lastAckAt,
        inFlight: streams.reduce((n, s) => n + s.window.inFlight.length, 0),
        backlog: safeBacklog() ?? { count: 0, bytes: 0, oldestAt: null },
        paused: streams.filter((s) => s.window.pausedUntil > now).map((s) => ({ stream: s.name, until: s.window.pausedUntil, reason: s.pauseReason })),
      };
    },
    onCommand(handler) {
      intake.setHandler(handler);
    },
  };
}

function topicsOf(gatewayId: string, root: string): ReturnType<typeof gatewayTopics> {
  try {
    return gatewayTopics(gatewayId, root);
  } catch (cause) {
    throw new ForwarderError('FORWARDER_BAD_OPTIONS', `forwarder: ${errorMessage(cause)}`, { cause, context: { gatewayId, root } });
  }
}

