import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { ForwarderLogger } from './logger.js';
import { backoffDelay } from './pacer.js';

export interface LinkOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** PEM CA certificate(s) for a TLS url; replaces the public CAs (see ForwarderMqttOptions.ca). */
  readonly ca?: string | undefined;
  /** PEM client certificate and key for a TLS url (see ForwarderMqttOptions.cert). */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  /** Built afresh before every connect, so the will's `at` is that connect's time. */
  readonly will: () => { topic: string; payload: Uint8Array };
  /** Subscribed (QoS 1) after every connect, before `onConnect` runs. */
  readonly subscriptions: readonly string[];
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly clock: Clock;
  readonly logger: ForwarderLogger;
  readonly onConnect: (sessionPresent: boolean) => void;
  readonly onClose: () => void;
  readonly onMessage: (topic: string, payload: Buffer) => void;
}

/**
 * One MQTT connection to the aggregator's broker: persistent session (`clean: false`, stable client id) so
 * that acks and commands published while the link was down are waiting at reconnect, a retained last will,
 * and reconnects with exponential back-off driven by our Clock (mqtt.js's own reconnect is a fixed period,
 * which after a substation-wide outage makes every gateway knock at the same rhythm).
 */
export class MqttLink {
  readonly #o: LinkOptions;
  #client: MqttClient | undefined;
  #connected = false;
  #closing = false;
  #attempt = 0;
  #timer: TimerHandle | undefined;

  constructor(options: LinkOptions) {
    this.#o = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    if (this.#client !== undefined) return;
    const o = this.#o;
    const options: IClientOptions = {
      clientId: o.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: o.keepaliveSeconds,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 0, // ours, with back-off: see #scheduleReconnect
      resubscribe: false, // we subscribe on every connect ourselves, before draining
      will: this.#will(),
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      // mqtt.js hands these to tls.connect for mqtts/wss; verification stays on whatever the CA (never off).
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      ...(o.cert === undefined || o.key === undefined ? {} : { cert: o.cert, key: o.key }),
      rejectUnauthorized: true,
      // Otherwise mqtt-packet pre-builds a Buffer for each of the 65 536 packet ids on the first write:
      // 6 MB of heap on a gateway whose budget is 80 MB, to save an allocation per publish.
      writeCache: false,
    };
    const client = connect(o.url, options);
    this.#client = client;
    client.on('connect', (connack) => this.#connectedNow(client, connack.sessionPresent));
    client.on('close', () => this.#closed());
    client.on('error', (e) => o.logger.warn({ err: e, url: o.url }, `mqtt: ${errorMessage(e)}`));
    client.on('message', (topic, payload) => o.onMessage(topic, payload));
  }

  /** Publish; resolves on PUBACK for QoS 1 (on hand-over to the socket for QoS 0). */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain = false): Promise<void> {
    const client = this.#client;
    if (client === undefined) return Promise.reject(new Error('mqtt link not started'));
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload), { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Ends the session cleanly (no will); forces the socket shut if the broker does not answer in `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    this.#closing = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    if (client === undefined) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => client.end(true, {}, () => resolve()), graceMs);
      client.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
    this.#connected = false;
  }

  #will(): NonNullable<IClientOptions['will']> {
    const { topic, payload } = this.#o.will();
    return { topic, payload: Buffer.from(payload), qos: 1, retain: true };
  }

  #connectedNow(client: MqttClient, sessionPresent: boolean): void {
    this.#attempt = 0;
    const subs = Object.fromEntries(this.#o.subscriptions.map((t) => [t, { qos: 1 as const }]));
    client.subscribe(subs, (err) => {
      if (this.#closing) return;
      if (err) {
        this.#o.logger.error({ err, topics: this.#o.subscriptions }, 'mqtt: subscribe failed; reconnecting');
        client.end(true);
        return;
      }
      this.#connected = true;
      this.#o.logger.info({ url: this.#o.url, sessionPresent }, 'mqtt: connected');
      this.#o.onConnect(sessionPresent);
    });
  }

  #closed(): void {
    const was = this.#connected;
    this.#connected = false;
    if (was) {
      this.#o.logger.warn({ url: this.#o.url }, 'mqtt: connection lost');
      this.#o.onClose();
    }
    if (!this.#closing) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#timer !== undefined) return;
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, this.#o.reconnect.initialMs, this.#o.reconnect.maxMs);
    this.#o.logger.debug({ attempt: this.#attempt, delayMs: delay }, 'mqtt: reconnect scheduled');
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      const client = this.#client;
      if (this.#closing || client === undefined) return;
      client.options.will = this.#will();
      client.reconnect();
    }, delay);
  }
}
