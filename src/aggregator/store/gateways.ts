import type { KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { keyIdOf, loadPublicKey, type KeyLookup, type HeartbeatMessage, type StatusMessage } from '../../wire/index.js';
import { CentralError } from './errors.js';

export type GatewayState = 'unknown' | 'online' | 'offline';

export interface GatewayRow {
  id: string;
  state: GatewayState;
  stateSince: number | null;
  stateReason: string | null;
  lastStatusAt: number | null;
  lastHeartbeatAt: number | null;
  version: string | null;
  configHash: string | null;
  signingKeyId: string | null;
  backlogCount: number | null;
  metersTotal: number | null;
  metersOnline: number | null;
}

export interface GatewayKeyRow {
  keyId: string;
  publicKeyPem: string;
  addedAt: number;
  revoked: boolean;
}

/**
 * The gateway registry: who may log in (credential hash), which keys sign for whom, and what state each
 * gateway last reported. Key objects are cached by PEM text so a batch costs one indexed select, not a
 * key parse; the select itself is never cached, so a revocation takes effect on the very next batch.
 */
export class GatewayRegistry {
  private readonly keyCache = new Map<string, KeyObject>();
  private readonly sql;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      credential: db.prepare<[string], { credential_hash: string }>('SELECT credential_hash FROM gateways WHERE id = ?'),
      exists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM gateways WHERE id = ?'),
      key: db.prepare<[string, string], { public_key_pem: string; revoked: number }>(
        'SELECT public_key_pem, revoked FROM gateway_keys WHERE gateway_id = ? AND key_id = ?',
      ),
      keys: db.prepare<[string], { key_id: string; public_key_pem: string; added_at: number; revoked: number }>(
        'SELECT key_id, public_key_pem, added_at, revoked FROM gateway_keys WHERE gateway_id = ? ORDER BY added_at, key_id',
      ),
      upsert: db.prepare<[string, string, number]>(
        `INSERT INTO gateways (id, credential_hash, enrolled_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET credential_hash = excluded.credential_hash`,
      ),
      addKey: db.prepare<[string, string, string, number]>(
        `INSERT INTO gateway_keys (gateway_id, key_id, public_key_pem, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (gateway_id, key_id) DO NOTHING`,
      ),
      revoke: db.prepare<[number, string, string]>(
        'UPDATE gateway_keys SET revoked = 1, revoked_at = ? WHERE gateway_id = ? AND key_id = ? AND revoked = 0',
      ),
      get: db.prepare<[string], Record<string, unknown>>('SELECT * FROM gateways WHERE id = ?'),
      status: db.prepare(
        `UPDATE gateways SET
           state_since = CASE WHEN state = @state THEN state_since ELSE @since END,
           state = @state, state_reason = @reason, last_status_at = @receivedAt, version = @version,
           config_hash = @configHash, signing_key_id = coalesce(@keyId, signing_key_id),
           backlog_count = coalesce(@backlogCount, backlog_count),
           backlog_oldest_at = CASE WHEN @backlogCount IS NULL THEN backlog_oldest_at ELSE @backlogOldestAt END,
           backlog_bytes = coalesce(@backlogBytes, backlog_bytes)
         WHERE id = @id`,
      ),
      heartbeat: db.prepare(
        `UPDATE gateways SET last_heartbeat_at = @receivedAt, uptime_seconds = @uptime,
           meters_total = coalesce(@metersTotal, meters_total), meters_online = coalesce(@metersOnline, meters_online),
           backlog_count = coalesce(@backlogCount, backlog_count),
           backlog_oldest_at = CASE WHEN @backlogCount IS NULL THEN backlog_oldest_at ELSE @backlogOldestAt END,
           backlog_bytes = coalesce(@backlogBytes, backlog_bytes)
         WHERE id = @id`,
      ),
    };
  }

  /** The stored scrypt hash of a gateway's MQTT password, undefined for an unknown gateway. */
  credentialHash(gatewayId: string): string | undefined {
    return this.sql.credential.get(gatewayId)?.credential_hash;
  }

  exists(gatewayId: string): boolean {
    return this.sql.exists.get(gatewayId) !== undefined;
  }

  /**
   * The wire's KeyLookup: the key when registered and not revoked; undefined (WIRE_UNKNOWN_KEY) when the
   * gateway is known but the key is not, or is revoked; 'unknown-gateway' when the gateway is not enrolled.
   */
  readonly lookupKey: KeyLookup = (gatewayId, keyId) => {
    const row = this.sql.key.get(gatewayId, keyId);
    if (row === undefined) return this.exists(gatewayId) ? undefined : 'unknown-gateway';
    if (row.revoked === 1) return undefined;
    let key = this.keyCache.get(row.public_key_pem);
    if (key === undefined) {
      key = loadPublicKey(row.public_key_pem);
      this.keyCache.set(row.public_key_pem, key);
    }
    return key;
  };

  /** 'active', 'revoked' or 'absent': lets a refusal say why a key was not accepted. */
  keyStatus(gatewayId: string, keyId: string): 'active' | 'revoked' | 'absent' {
    const row = this.sql.key.get(gatewayId, keyId);
    return row === undefined ? 'absent' : row.revoked === 1 ? 'revoked' : 'active';
  }

  keys(gatewayId: string): GatewayKeyRow[] {
    return this.sql.keys.all(gatewayId).map((r) => ({
      keyId: r.key_id,
      publicKeyPem: r.public_key_pem,
      addedAt: r.added_at,
      revoked: r.revoked === 1,
    }));
  }

  /** Creates the gateway or replaces its credential; adds the key (keys are only ever added or revoked). */
  register(gatewayId: string, credentialHash: string, publicKeyPem: string, now: number): string {
    let keyId: string;
    try {
      keyId = keyIdOf(loadPublicKey(publicKeyPem));
    } catch (cause) {
      throw new CentralError('CENTRAL_INVALID_ARGUMENT', `gateway ${gatewayId}: the public key is not a readable Ed25519 SPKI PEM`, {
        cause,
        context: { gatewayId },
      });
    }
    this.db.transaction(() => {
      this.sql.upsert.run(gatewayId, credentialHash, now);
      this.sql.addKey.run(gatewayId, keyId, publicKeyPem, now);
    }).immediate();
    return keyId;
  }

  /** Revokes one key: batches signed with it are refused from the next one on (WIRE_UNKNOWN_KEY). */
  revokeKey(gatewayId: string, keyId: string, now: number): void {
    const status = this.keyStatus(gatewayId, keyId);
    if (status === 'absent') {
      throw new CentralError('CENTRAL_UNKNOWN_KEY', `gateway ${gatewayId} has no key ${keyId} to revoke`, { context: { gatewayId, keyId } });
    }
    this.sql.revoke.run(now, gatewayId, keyId);
  }

  get(gatewayId: string): GatewayRow | undefined {
    const r = this.sql.get.get(gatewayId);
    if (r === undefined) return undefined;
    return {
      id: r['id'] as string,
      state: r['state'] as GatewayState,
      stateSince: r['state_since'] as number | null,
      stateReason: r['state_reason'] as string | null,
      lastStatusAt: r['last_status_at'] as number | null,
      lastHeartbeatAt: r['last_heartbeat_at'] as number | null,
      version: r['version'] as string | null,
      configHash: r['config_hash'] as string | null,
      signingKeyId: r['signing_key_id'] as string | null,
      backlogCount: r['backlog_count'] as number | null,
      metersTotal: r['meters_total'] as number | null,
      metersOnline: r['meters_online'] as number | null,
    };
  }

  /**
   * Applies a birth / will / shutdown status. `since` moves only when the state changes, so a retained
   * status redelivered to a resubscribing ingest does not reset how long a gateway has been online. A will's
   * `at` is the connect time (it was composed then), so the offline time of a will is when we received it.
   */
  applyStatus(status: StatusMessage, receivedAt: number): boolean {
    const since = status.reason === 'will' ? receivedAt : Date.parse(status.at);
    const info = this.sql.status.run({
      id: status.gatewayId,
      state: status.state,
      since,
      reason: status.reason ?? null,
      receivedAt,
      version: status.version,
      configHash: status.configHash,
      keyId: status.keyId ?? null,
      ...backlogParams(status.backlog),
    });
    return info.changes > 0;
  }

  applyHeartbeat(hb: HeartbeatMessage, receivedAt: number): boolean {
    const info = this.sql.heartbeat.run({
      id: hb.gatewayId,
      receivedAt,
      uptime: hb.uptimeSeconds,
      metersTotal: hb.meters?.total ?? null,
      metersOnline: hb.meters?.online ?? null,
      ...backlogParams(hb.backlog),
    });
    return info.changes > 0;
  }
}

function backlogParams(b: StatusMessage['backlog']): { backlogCount: number | null; backlogOldestAt: string | null; backlogBytes: number | null } {
  return { backlogCount: b?.count ?? null, backlogOldestAt: b?.oldestAt ?? null, backlogBytes: b?.bytes ?? null };
}
