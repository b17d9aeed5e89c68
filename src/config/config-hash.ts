import { createHash } from 'node:crypto';
import type { GatewayConfig } from './gateway-config.js';

/**
 * `sha256:<hex>` of the effective configuration, carried in the gateway's birth message so the aggregator
 * can see which gateways run stale settings. It is taken over canonical JSON (keys sorted, undefined
 * dropped), so reordering the file or switching YAML for JSON does not change it; the source path is
 * left out (the same settings deployed elsewhere are the same settings).
 *
 * Secrets are replaced by a marker before hashing: whether a password is set still counts, its value does
 * not. The hash is published, and a hash over an 8-digit meter password could be brute-forced offline.
 */
export const SECRET_MARKER = '<secret>';

export function configHash(config: GatewayConfig): string {
  return `sha256:${createHash('sha256').update(canonicalJson(withoutSecrets(config))).digest('hex')}`;
}

/** A copy of the config with every secret replaced by SECRET_MARKER and without its source path. */
export function withoutSecrets(config: GatewayConfig): Omit<GatewayConfig, 'source'> {
  const { source: _source, ...rest } = config;
  return {
    ...rest,
    mqtt: { ...config.mqtt, ...(config.mqtt.password === undefined ? {} : { password: SECRET_MARKER }) },
    meters: config.meters.map((m) => ({
      ...m,
      authentication: { ...m.authentication, ...(m.authentication.password === undefined ? {} : { password: SECRET_MARKER }) },
    })),
  };
}

/** JSON with object keys sorted at every level; array order is kept (it means something: route, registers). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const item = (v as Record<string, unknown>)[k];
      if (item !== undefined) out[k] = sortKeys(item);
    }
    return out;
  }
  return v;
}
