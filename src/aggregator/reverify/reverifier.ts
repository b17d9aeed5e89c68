import { randomUUID, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { errorMessage } from '../../shared/errors.js';
import { DEFAULT_TOPIC_ROOT, gatewayTopic, makeReadId, MAX_COMMAND_LIFETIME_MS, readNowPointers, signCommand, type CommandResponse } from '../../wire/index.js';
import { compareReads, DEFAULT_MAX_KWH_PER_HOUR, type ReadToCompare } from './compare.js';
import { ReverifyError } from './errors.js';
import { reverifyQueries, type ReverificationRow, type ReverifyQueries, type StoredRead } from './queries.js';

/** Sends one MQTT message (QoS 1): the ingest's connection or one of its own (mqttPublisher in publisher.ts). */
export interface CommandPublisher {
  publish(topic: string, payload: Uint8Array): Promise<void>;
}

export interface ReverifierSettings {
  topicRoot?: string;
  /** How long the gateway may take to read the meter; the command's expiresAt. Default 15 min, at most 24 h. */
  commandLifetimeMs?: number;
  /**
   * After the gateway answered ok, how long past expiresAt the read may still take to come through the
   * signed reads stream (a backlog, a reconnect) before the request is given up as expired. Default 1 h.
   */
  readGraceMs?: number;
  /** The `advanced` bound (compare.ts). */
  maxKwhPerHour?: string;
}

export interface ReverifierDeps {
  db: Database.Database;
  key: { privateKey: KeyObject; keyId: string };
  publisher: CommandPublisher;
  logger: Logger;
}

/** The total import register: always asked for, whatever register the stored KT read came from. */
export const TOTAL_IMPORT = '1.0.1.8.0.255';

/** A request as the API shows it: camelCase, ISO times, detail parsed. */
export interface Reverification {
  id: number;
  commandId: string;
  gatewayId: string;
  meteringPoint: string;
  meterId: string;
  requestedBy: string | null;
  requestedAt: string;
  expiresAt: string;
  state: ReverificationRow['state'];
  storedReadId: string | null;
  storedValue: string | null;
  newReadId: string | null;
  newValue: string | null;
  verdict: ReverificationRow['verdict'];
  answeredAt: string | null;
  detail: Record<string, unknown>;
}

export function toReverification(r: ReverificationRow): Reverification {
  return {
    id: r.id,
    commandId: r.command_id,
    gatewayId: r.gateway_id,
    meteringPoint: r.metering_point,
    meterId: r.meter_id,
    requestedBy: r.requested_by,
    requestedAt: new Date(r.requested_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
    state: r.state,
    storedReadId: r.stored_read_id,
    storedValue: r.stored_value,
    newReadId: r.new_read_id,
    newValue: r.new_value,
    verdict: r.verdict,
    answeredAt: r.answered_at === null ? null : new Date(r.answered_at).toISOString(),
    detail: parseDetail(r.detail),
  };
}

function parseDetail(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { note: v };
  } catch {
    return { note: text };
  }
}

const toCompare = (r: StoredRead): ReadToCompare => ({ readId: r.read_id, value: r.value, unit: r.unit, meterTimeMs: r.meter_time_ms });

/**
 * Phúc tra (DOMAIN.md B6): an operator asks for an independent read of a metering point now. The request
 * is recorded with the index to verify (the latest stored KT read), a signed `read-now` command (purpose
 * `phuc-tra`) goes to the gateway that serves the point, and the verdict is kept once the new read is in.
 *
 * The new value is only ever taken from the signed reads stream, never from the unsigned `cmd/response`
 * (src/wire/README.md: the response only points at the data). The response says which read to wait for
 * (`readIds`, or the `meterTime` of the read from which the read id follows); `check(now)` then polls
 * the reads table. Polling the table rather than a hook on the ingest is the robust choice: it does not
 * matter whether the read arrives before or after the response, whether the read was already stored (a
 * meter whose clock did not move gives the same read id) or whether the aggregator restarted in between.
 * `onReadsStored` only makes it look sooner.
 */
export class Reverifier {
  readonly #sql: ReverifyQueries;
  readonly #db: Database.Database;
  readonly #deps: ReverifierDeps;
  readonly #root: string;
  readonly #lifetime: number;
  readonly #grace: number;
  readonly #maxRate: string;
  readonly #log: Logger;

  constructor(settings: ReverifierSettings, deps: ReverifierDeps) {
    this.#db = deps.db;
    this.#sql = reverifyQueries(deps.db);
    this.#deps = deps;
    this.#root = settings.topicRoot ?? DEFAULT_TOPIC_ROOT;
    this.#lifetime = settings.commandLifetimeMs ?? 15 * 60_000;
    if (!(this.#lifetime > 0 && this.#lifetime <= MAX_COMMAND_LIFETIME_MS)) {
      throw new RangeError(`reverify commandLifetimeMs: ${this.#lifetime} is not in (0, ${MAX_COMMAND_LIFETIME_MS}] ms`);
    }
    this.#grace = settings.readGraceMs ?? 3_600_000;
    this.#maxRate = settings.maxKwhPerHour ?? DEFAULT_MAX_KWH_PER_HOUR;
    this.#log = deps.logger.child({ part: 'reverify' });
  }

  /**
   * Records the request and sends the command. Throws ReverifyError when it cannot be asked (unknown point,
   * no meter or KT read known, one already open). A failed publish is not thrown: the row says `failed`.
   */
  async request(input: { meteringPoint: string; by?: string }, now: number): Promise<Reverification> {
    const prepared = this.#db.transaction(() => this.#prepare(input, now)).immediate();
    const { row, payload } = prepared;
    try {
      await this.#deps.publisher.publish(gatewayTopic(row.gateway_id, 'cmd', this.#root), payload);
      this.#log.info({ commandId: row.command_id, gatewayId: row.gateway_id, meteringPoint: row.metering_point, by: row.requested_by }, 'phúc tra command sent');
    } catch (e) {
      this.#log.warn({ commandId: row.command_id, gatewayId: row.gateway_id, err: errorMessage(e) }, 'phúc tra command not sent');
      this.#sql.fail.run(this.#merge(row, { error: { code: 'PUBLISH_FAILED', message: `the command could not be handed to the broker: ${errorMessage(e)}` } }), now, row.id);
    }
    return toReverification(this.#sql.byId.get(row.id)!);
  }

  #prepare(input: { meteringPoint: string; by?: string }, now: number): { row: ReverificationRow; payload: Uint8Array } {
    const point = input.meteringPoint;
    const latest = this.#sql.latestOfPoint.get(point);
    if (latest === undefined) {
      if (this.#sql.pointInBooks.get(point)!.n === 0) throw new ReverifyError('REVERIFY_POINT_UNKNOWN', `metering point ${point} is in no read and no book`, { context: { meteringPoint: point } });
      throw new ReverifyError('REVERIFY_NO_METER', `metering point ${point} has never been read remotely: no gateway or meter is known for it`, { context: { meteringPoint: point } });
    }
    const open = this.#sql.openForPoint.get(point);
    if (open !== undefined) {
      throw new ReverifyError('REVERIFY_PENDING', `metering point ${point} already has a phúc tra waiting (command ${open.command_id}, requested ${new Date(open.requested_at).toISOString()})`, {
        context: { meteringPoint: point, commandId: open.command_id },
      });
    }
    const stored = this.#sql.latestKt.get(point, latest.meter_id);
    if (stored === undefined) {
      throw new ReverifyError('REVERIFY_NO_METER', `metering point ${point}: meter ${latest.meter_id} has no stored KT read to verify`, { context: { meteringPoint: point, meterId: latest.meter_id } });
    }
    // The register of the stored read, whatever its OBIS on this model: a gateway refuses a register its
    // model does not read, so adding 1.0.1.8.0.255 would fail on a model that bills KT from another code.
    const registers = [stored.obis];
    const commandId = randomUUID();
    const expiresAt = now + this.#lifetime;
    const payload = signCommand(
      {
        id: commandId,
        gatewayId: latest.gateway_id,
        issuedAt: new Date(now).toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        command: { type: 'read-now', meterId: latest.meter_id, registers, purpose: 'phuc-tra' },
      },
      this.#deps.key.privateKey,
      this.#deps.key.keyId,
    );
    const detail = { storedRead: { obis: stored.obis, unit: stored.unit, meterTime: new Date(stored.meter_time_ms).toISOString() }, registers };
    const id = Number(
      this.#sql.insert.run(commandId, latest.gateway_id, point, latest.meter_id, input.by ?? null, now, expiresAt, stored.read_id, stored.value, JSON.stringify(detail)).lastInsertRowid,
    );
    return { row: this.#sql.byId.get(id)!, payload };
  }

  /**
   * A `cmd/response` from `gatewayId` (the topic's gateway, which the broker bound to its login). Answers to
   * other commands, to other gateways' commands and repeats are ignored (returns undefined).
   */
  handleResponse(gatewayId: string, response: CommandResponse, now: number): Reverification | undefined {
    const row = this.#sql.byCommand.get(response.id);
    if (row === undefined) return undefined;
    if (row.gateway_id !== gatewayId || response.gatewayId !== gatewayId) {
      this.#log.warn({ commandId: response.id, from: gatewayId, addressee: row.gateway_id }, 'command response from another gateway than the addressee: ignored');
      return undefined;
    }
    if (row.state !== 'sent') return undefined;
    if (!response.ok) {
      const error = response.error ?? { code: 'UNKNOWN', message: 'the gateway answered not ok without an error' };
      this.#sql.fail.run(this.#merge(row, { error }), now, row.id);
      this.#log.info({ commandId: row.command_id, code: error.code, message: error.message }, 'phúc tra failed at the gateway');
    } else {
      // Kept as the gateway said it (unsigned): pointers to the read, and for people the values it saw.
      this.#sql.answered.run(this.#merge(row, { response: { at: response.at ?? null, result: response.result ?? null } }), now, row.id);
      this.#settle(this.#sql.byId.get(row.id)!, now);
    }
    return toReverification(this.#sql.byId.get(row.id)!);
  }

  /** Looks for the new reads of every open request and expires the overdue ones. Returns the rows it settled. */
  check(now: number): Reverification[] {
    const changed: Reverification[] = [];
    for (const row of this.#sql.open.all()) {
      const after = this.#settle(row, now);
      if (after !== undefined) changed.push(after);
    }
    return changed;
  }

  /** The ingest stored these reads (the lead's hook): settle the requests of those meters now. */
  onReadsStored(reads: readonly { meterId: string }[], now: number): Reverification[] {
    const meters = new Set(reads.map((r) => r.meterId));
    const changed: Reverification[] = [];
    for (const row of this.#sql.open.all()) {
      if (!meters.has(row.meter_id)) continue;
      const after = this.#settle(row, now);
      if (after !== undefined) changed.push(after);
    }
    return changed;
  }

  get(id: number): Reverification | undefined {
    const r = this.#sql.byId.get(id);
    return r && toReverification(r);
  }

  list(filter: { meteringPoint?: string; state?: ReverificationRow['state']; limit?: number }): Reverification[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.meteringPoint !== undefined) {
      where.push('metering_point = ?');
      args.push(filter.meteringPoint);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      args.push(filter.state);
    }
    const sql = `SELECT * FROM reverifications ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at DESC, id DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, filter.limit ?? 200) as ReverificationRow[]).map(toReverification);
  }

  #settle(row: ReverificationRow, now: number): Reverification | undefined {
    const fresh = this.#findNewRead(row);
    if (fresh !== undefined && row.stored_read_id !== null) {
      const stored = this.#sql.readById.get(row.stored_read_id);
      if (stored !== undefined) {
        const c = compareReads(toCompare(stored), toCompare(fresh), { maxKwhPerHour: this.#maxRate });
        const comparison = { ...c, newMeterTime: new Date(fresh.meter_time_ms).toISOString(), maxKwhPerHour: this.#maxRate };
        if (this.#sql.verdict.run(fresh.read_id, fresh.value, c.verdict, this.#merge(row, { comparison }), now, row.id).changes > 0) {
          this.#log.info({ commandId: row.command_id, meteringPoint: row.metering_point, verdict: c.verdict, reason: c.reason }, 'phúc tra settled');
          return toReverification(this.#sql.byId.get(row.id)!);
        }
        return undefined;
      }
    }
    const giveUpAt = row.state === 'sent' ? row.expires_at : row.expires_at + this.#grace;
    if (now >= giveUpAt) {
      const reason =
        row.state === 'sent'
          ? `no answer from gateway ${row.gateway_id} before the command expired`
          : `gateway ${row.gateway_id} answered but the read did not arrive on the reads stream within ${Math.round(this.#grace / 60_000)} min after expiry`;
      if (this.#sql.expire.run(this.#merge(row, { reason }), row.id).changes > 0) {
        this.#log.info({ commandId: row.command_id, meteringPoint: row.metering_point, reason }, 'phúc tra expired');
        return toReverification(this.#sql.byId.get(row.id)!);
      }
    }
    return undefined;
  }

  /**
   * The signed read that answers the command, in order of certainty: the read ids the response names (the
   * reads the gateway stored for this command: only those are waited for); for a gateway that does not
   * name them, the read id that follows from the meter time it reports (makeReadId); a read flagged
   * `reread` stored since the request (the wire contract for phúc tra reads); only when the gateway
   * answered ok without naming its read, the first read of the register stored since the request that is
   * newer than the stored one.
   */
  #findNewRead(row: ReverificationRow): StoredRead | undefined {
    const detail = parseDetail(row.detail);
    const obis = (detail.storedRead as { obis?: string } | undefined)?.obis ?? TOTAL_IMPORT;
    const answered = (detail.response as { result?: unknown } | undefined)?.result;
    const ofRegister = (r: StoredRead | undefined) => (r !== undefined && r.meter_id === row.meter_id && r.obis === obis ? r : undefined);
    const { readIds, meterTime } = readNowPointers(answered);
    if (readIds !== undefined && readIds.length > 0) {
      // Exactly these reads: a scheduled read or another reread of the register stored meanwhile is not the answer.
      for (const id of readIds) {
        const r = ofRegister(this.#sql.readById.get(id));
        if (r !== undefined) return r;
      }
      return undefined;
    }
    const pointed = readIds !== undefined || meterTime !== undefined;
    if (meterTime !== undefined) {
      try {
        const id = makeReadId({ gatewayId: row.gateway_id, meterId: row.meter_id, obis, kind: 'register', meterTime });
        const r = ofRegister(this.#sql.readById.get(id));
        if (r !== undefined) return r;
      } catch {
        // Not a time the read id rule accepts: fall through to the table.
      }
    }
    const since = this.#sql.readsSince.all(row.metering_point, row.meter_id, obis, row.requested_at);
    const flagged = since.find((r) => r.quality.split(',').includes('reread'));
    if (flagged !== undefined) return flagged;
    // A response that named its read: wait for exactly that one, not a scheduled read that came first.
    if (row.state !== 'answered' || pointed) return undefined;
    const storedTime = row.stored_read_id === null ? undefined : this.#sql.readById.get(row.stored_read_id)?.meter_time_ms;
    return since.find((r) => storedTime === undefined || r.meter_time_ms > storedTime);
  }

  #merge(row: ReverificationRow, more: Record<string, unknown>): string {
    return JSON.stringify({ ...parseDetail(row.detail), ...more });
  }
}
