import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { isValidGatewayId } from '../../wire/index.js';
import { hashCredential, newSecret, type ScryptParams } from './credentials.js';
import { CentralError } from './errors.js';
import type { GatewayRegistry } from './gateways.js';

export interface IssuedToken {
  gatewayId: string;
  /** Shown once to the operator, who hands it to the gateway's installer; only its hash is stored. */
  token: string;
  expiresAt: number;
}

export interface Enrolled {
  gatewayId: string;
  keyId: string;
  /** The gateway's MQTT password, generated here and returned once; only its scrypt hash is kept. */
  password: string;
}

export interface ConsumeRequest {
  token: string;
  gatewayId: string;
  publicKeyPem: string;
}

/**
 * One-time enrolment tokens. An operator issues a token for a named gateway; the gateway presents it once
 * with its public key and receives its MQTT password. A token is bound to one gateway id so a leaked token
 * cannot enrol (or take over) another substation, expires, and is marked used in the same transaction that
 * registers the key, so two concurrent uses cannot both succeed. Enrolling again with a new token adds a
 * key (rotation) and replaces the password.
 */
export class Enrolment {
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly gateways: GatewayRegistry,
    private readonly scrypt?: ScryptParams,
  ) {
    this.sql = {
      insert: db.prepare<[string, string, number, number]>(
        'INSERT INTO enrolment_tokens (token_hash, gateway_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ),
      get: db.prepare<[string], { gateway_id: string; expires_at: number; used_at: number | null }>(
        'SELECT gateway_id, expires_at, used_at FROM enrolment_tokens WHERE token_hash = ?',
      ),
      use: db.prepare<[number, string, string]>(
        'UPDATE enrolment_tokens SET used_at = ?, used_key_id = ? WHERE token_hash = ? AND used_at IS NULL',
      ),
    };
  }

  issue(gatewayId: string, ttlMs: number, now: number): IssuedToken {
    if (!isValidGatewayId(gatewayId)) {
      throw new CentralError('CENTRAL_INVALID_ARGUMENT', `cannot issue an enrolment token: invalid gateway id ${JSON.stringify(gatewayId)}`);
    }
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
      throw new CentralError('CENTRAL_INVALID_ARGUMENT', `cannot issue an enrolment token for ${gatewayId}: ttl ${ttlMs} ms is not a positive integer`);
    }
    // A letter first: one base64url token in 64 began with '-', and `chiso provision --token -Ab…` then read
    // it as an option (a failed CI run). The prefix also says what the text is when it is pasted around.
    const token = `cet_${randomBytes(24).toString('base64url')}`;
    const expiresAt = now + ttlMs;
    this.sql.insert.run(hashToken(token), gatewayId, now, expiresAt);
    return { gatewayId, token, expiresAt };
  }

  /** Registers the key and a fresh credential; throws CentralError CENTRAL_TOKEN_* when the token is not good. */
  async consume(req: ConsumeRequest, now: () => number): Promise<Enrolled> {
    const tokenHash = hashToken(req.token);
    this.check(tokenHash, req.gatewayId, now());
    const password = newSecret();
    const credential = await hashCredential(password, this.scrypt);
    const keyId = this.db.transaction(() => {
      this.check(tokenHash, req.gatewayId, now()); // again: another consumer may have won while we hashed
      const id = this.gateways.register(req.gatewayId, credential, req.publicKeyPem, now());
      this.sql.use.run(now(), id, tokenHash);
      return id;
    }).immediate();
    return { gatewayId: req.gatewayId, keyId, password };
  }

  private check(tokenHash: string, gatewayId: string, now: number): void {
    const row = this.sql.get.get(tokenHash);
    const context = { gatewayId };
    if (row === undefined) throw new CentralError('CENTRAL_TOKEN_UNKNOWN', `enrolment of ${gatewayId}: unknown token`, { context });
    if (row.used_at !== null) {
      throw new CentralError('CENTRAL_TOKEN_USED', `enrolment of ${gatewayId}: the token was already used at ${new Date(row.used_at).toISOString()}`, { context });
    }
    if (row.expires_at <= now) {
      throw new CentralError('CENTRAL_TOKEN_EXPIRED', `enrolment of ${gatewayId}: the token expired at ${new Date(row.expires_at).toISOString()}`, { context });
    }
    if (row.gateway_id !== gatewayId) {
      throw new CentralError('CENTRAL_TOKEN_GATEWAY', `enrolment of ${gatewayId}: the token was issued for another gateway`, { context });
    }
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
