import { canonicalJson } from '../../config/config-hash.js';
import type { GatewayConfig } from '../../config/gateway-config.js';

/**
 * The sections a `reload-config` may not change: the gateway's identity and its link to central (a new
 * id, broker or key would cut the command's own answer off), and where its data lives (the outbox must
 * stay the same file). Everything else — buses, models, meters, schedules, thresholds, limits — is
 * replaced in place. Returns one line per refused change.
 */
export function restartOnlyChanges(running: GatewayConfig, next: GatewayConfig): string[] {
  const sections: [string, (c: GatewayConfig) => unknown][] = [
    ['gateway', (c) => c.gateway],
    ['mqtt', (c) => c.mqtt],
    ['keys', (c) => c.keys],
    ['dataDir', (c) => c.dataDir],
    ['metrics', (c) => c.metrics],
  ];
  return sections
    .filter(([, pick]) => canonicalJson(pick(running)) !== canonicalJson(pick(next)))
    .map(([name]) => `${name}: changed in the file; this takes a restart of the gateway, not a reload`);
}

/** Buses whose poller must be replaced (changed or removed) and those to add. */
export function busChanges(running: GatewayConfig, next: GatewayConfig): { replace: string[]; add: string[]; remove: string[] } {
  const before = new Map(running.buses.map((b) => [b.id, canonicalJson(b)]));
  const after = new Map(next.buses.map((b) => [b.id, canonicalJson(b)]));
  return {
    replace: [...after].filter(([id, def]) => before.has(id) && before.get(id) !== def).map(([id]) => id),
    add: [...after.keys()].filter((id) => !before.has(id)),
    remove: [...before.keys()].filter((id) => !after.has(id)),
  };
}
