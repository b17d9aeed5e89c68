import type { KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { mqttPublisher, subscribeCommandResponses, type CommandMqttClient } from './mqtt.js';
import { Reverifier, type ReverifierSettings } from './reverifier.js';

export interface ReverifyServiceSettings extends ReverifierSettings {
  /** How often open requests look for their read and expire. Default 5 s (of the Clock's time). */
  checkIntervalMs?: number;
}

export interface ReverifyServiceDeps {
  db: Database.Database;
  key: { privateKey: KeyObject; keyId: string };
  /** A connected MQTT client of the broker with a login that may publish `…/cmd` and read `…/cmd/response`. */
  client: CommandMqttClient;
  logger: Logger;
  clock?: Clock;
}

export interface ReverifyService {
  readonly reverifier: Reverifier;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Phúc tra as a running part: the Reverifier, the subscription to the gateways' command responses and a
 * timer that settles and expires open requests. The MQTT client belongs to the caller (opened before
 * start, closed after close).
 */
export function buildReverifyService(settings: ReverifyServiceSettings, deps: ReverifyServiceDeps): ReverifyService {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ part: 'reverify' });
  const reverifier = new Reverifier(settings, { db: deps.db, key: deps.key, publisher: mqttPublisher(deps.client), logger: deps.logger });
  const every = settings.checkIntervalMs ?? 5_000;
  let unsubscribe: (() => Promise<void>) | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;

  const tick = () => {
    timer = undefined;
    if (closed) return;
    try {
      reverifier.check(clock.now());
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'phúc tra check failed; trying again at the next tick');
    }
    timer = clock.setTimeout(tick, every);
  };

  return {
    reverifier,
    async start() {
      unsubscribe = await subscribeCommandResponses(
        deps.client,
        settings.topicRoot,
        (gatewayId, response) => {
          try {
            reverifier.handleResponse(gatewayId, response, clock.now());
          } catch (e) {
            log.error({ err: errorMessage(e), commandId: response.id }, 'command response not handled');
          }
        },
        (topic, e) => log.warn({ topic, err: errorMessage(e) }, 'malformed command response dropped'),
      );
      timer = clock.setTimeout(tick, every);
    },
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      try {
        await unsubscribe?.();
      } catch (e) {
        log.warn({ err: errorMessage(e) }, 'unsubscribing from command responses');
      }
    },
  };
}
