import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { ChisoError, errorMessage } from '../../shared/errors.js';
import { encodeCommandResponse, openSignedCommand, type CommandMessage, type JsonValue } from '../../wire/index.js';
import { ForwarderError } from './errors.js';
import type { ForwarderLogger } from './logger.js';

/** Executes a verified command; what it returns (JSON) goes back as the response's `result`. */
export type CommandHandler = (command: CommandMessage) => Promise<JsonValue | undefined> | JsonValue | undefined;

export interface CommandIntakeOptions {
  readonly gatewayId: string;
  /** The aggregator's public keys by key id (several during a key rotation). */
  readonly lookupKey: (keyId: string) => KeyObject | undefined;
  readonly clock: Clock;
  readonly logger: ForwarderLogger;
  /** Upper bound on remembered command ids (each is kept until its command expires). */
  readonly maxRemembered?: number;
}

interface Remembered {
  readonly expiresAt: number;
  /** The response once the handler has finished; resent as is on a redelivery. */
  response?: Uint8Array;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The gateway's side of `…/cmd`: verify (aggregator key, addressee, expiry), run each command id at most
 * once while it can still be valid, and build the `…/cmd/response`. Nothing of a command runs before its
 * signature verifies. I/O free: the forwarder publishes what `receive` returns.
 */
export class CommandIntake {
  readonly #o: CommandIntakeOptions;
  readonly #seen = new Map<string, Remembered>();
  #handler: CommandHandler | undefined;

  constructor(options: CommandIntakeOptions) {
    this.#o = options;
  }

  setHandler(handler: CommandHandler | undefined): void {
    this.#handler = handler;
  }

  /** Handles one `…/cmd` payload; returns the response to publish, or undefined when there is nothing to say. */
  async receive(payload: Uint8Array): Promise<Uint8Array | undefined> {
    const now = this.#o.clock.now();
    this.#forgetExpired(now);
    let command: CommandMessage;
    try {
      ({ command } = openSignedCommand(payload, this.#o.lookupKey, { gatewayId: this.#o.gatewayId, now }));
    } catch (e) {
      const id = peekCommandId(payload);
      this.#o.logger.warn({ err: e, code: codeOf(e), commandId: id }, 'command refused, not executed');
      // No id, no correlation: an answer nobody can match would only be noise on the response topic.
      return id === undefined ? undefined : this.#response(id, now, { code: codeOf(e), message: errorMessage(e) });
    }
    const known = this.#seen.get(command.id);
    if (known !== undefined) {
      // A QoS 1 redelivery or a repeat: never execute twice. Resend the answer in case the first was lost.
      this.#o.logger.info({ commandId: command.id, answered: known.response !== undefined }, 'command already received, not executed again');
      return known.response;
    }
    const entry: Remembered = { expiresAt: Date.parse(command.expiresAt) };
    this.#remember(command.id, entry);
    entry.response = await this.#execute(command);
    return entry.response;
  }

  async #execute(command: CommandMessage): Promise<Uint8Array> {
    const log = this.#o.logger;
    const handler = this.#handler;
    if (handler === undefined) {
      log.error({ commandId: command.id, type: command.command.type }, 'command verified but no handler is registered');
      return this.#response(command.id, this.#o.clock.now(), {
        code: 'FORWARDER_NO_HANDLER',
        message: `this gateway has no handler for commands (got '${command.command.type}')`,
      });
    }
    log.info({ commandId: command.id, type: command.command.type }, 'executing command');
    try {
      const result = await handler(command);
      return this.#response(command.id, this.#o.clock.now(), undefined, result);
    } catch (e) {
      const failure = e instanceof ChisoError ? e : new ForwarderError('FORWARDER_COMMAND_FAILED', errorMessage(e), { cause: e });
      log.warn({ err: e, commandId: command.id, code: failure.code }, 'command failed');
      return this.#response(command.id, this.#o.clock.now(), { code: failure.code, message: failure.message });
    }
  }

  #response(id: string, now: number, error?: { code: string; message: string }, result?: JsonValue): Uint8Array {
    const base = { v: 1 as const, id, gatewayId: this.#o.gatewayId, at: new Date(now).toISOString() };
    if (error !== undefined) {
      return encodeCommandResponse({ ...base, ok: false, error: { code: error.code.slice(0, 64), message: error.message.slice(0, 1000) } });
    }
    try {
      return encodeCommandResponse({ ...base, ok: true, ...(result === undefined ? {} : { result }) });
    } catch (e) {
      // The handler answered something that is not JSON: report that instead of losing the correlation.
      return this.#response(id, now, { code: 'FORWARDER_COMMAND_FAILED', message: `the handler's result cannot be sent: ${errorMessage(e)}` });
    }
  }

  #remember(id: string, entry: Remembered): void {
    this.#seen.set(id, entry);
    const max = this.#o.maxRemembered ?? 10_000;
    // Oldest first (Map keeps insertion order). Only reached under a flood; expiry normally keeps it small.
    while (this.#seen.size > max) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
  }

  #forgetExpired(now: number): void {
    for (const [id, entry] of this.#seen) if (entry.expiresAt <= now) this.#seen.delete(id);
  }
}

function codeOf(e: unknown): string {
  return e instanceof ChisoError ? e.code : 'FORWARDER_COMMAND_FAILED';
}

/**
 * The command id of a message that failed verification, read without trusting anything in it: only to
 * correlate the refusal. Undefined when the message is too broken to name one.
 */
export function peekCommandId(payload: Uint8Array): string | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(payload).toString('utf8')) as { payload?: unknown };
    if (typeof envelope.payload !== 'string') return undefined;
    const inner = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { id?: unknown };
    return typeof inner.id === 'string' && UUID.test(inner.id) ? inner.id : undefined;
  } catch {
    return undefined;
  }
}
