import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { configHash } from '../../config/config-hash.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { Command } from '../../wire/commands.js';
import type { JsonValue } from '../../wire/primitives.js';
import { GatewayError } from './errors.js';
import { restartOnlyChanges } from './reload.js';

export type ReloadConfigCommand = Extract<Command, { type: 'reload-config' }>;

export interface ReloadDeps {
  /** The configuration in force. */
  running: GatewayConfig;
  /** Reads and validates the file again (throws on a bad file). */
  load: (path: string) => GatewayConfig;
  /** Puts the new configuration in force: pollers, detection, schedule (the gateway's wiring). */
  apply: (next: GatewayConfig) => Promise<void>;
  log: Logger;
}

/**
 * Central's `reload-config`: the file named by the running config is read again; a file that does not
 * load, or that changes what only a restart may change (reload.ts), is refused and the running
 * configuration stays. The answer carries both hashes so central sees what is in force now.
 */
export async function runReloadConfig(c: ReloadConfigCommand, deps: ReloadDeps): Promise<JsonValue> {
  const { running, log } = deps;
  let next: GatewayConfig;
  try {
    next = deps.load(running.source);
  } catch (e) {
    throw new GatewayError('GATEWAY_RELOAD_REFUSED', `the configuration was not reloaded, the running one stays: ${errorMessage(e)}`, { cause: e, context: { file: running.source } });
  }
  const fixed = restartOnlyChanges(running, next);
  if (fixed.length > 0) {
    throw new GatewayError('GATEWAY_RELOAD_REFUSED', `the configuration was not reloaded, the running one stays: ${running.source}: ${fixed.join('; ')}`, { context: { file: running.source } });
  }
  const previousHash = configHash(running);
  await deps.apply(next);
  const hash = configHash(next);
  log.info({ previousHash, configHash: hash, meters: next.meters.length, buses: next.buses.length }, 'configuration reloaded');
  return {
    configHash: hash,
    previousHash,
    meters: next.meters.length,
    buses: next.buses.length,
    ...(c.expectConfigHash !== undefined ? { expected: c.expectConfigHash, matches: c.expectConfigHash === hash } : {}),
  };
}
