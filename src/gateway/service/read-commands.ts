import type { GatewayConfig } from '../../config/gateway-config.js';
import type { Command, ReadNowResult } from '../../wire/commands.js';
import type { JsonValue } from '../../wire/primitives.js';
import type { ReadRecord } from '../../wire/reads.js';
import type { MeterDefinition, MeterReadResult, MeterReadSuccess } from '../model.js';
import { GatewayError } from './errors.js';

export type ReadNowCommand = Extract<Command, { type: 'read-now' }>;
export type RereadBookCommand = Extract<Command, { type: 'reread-book' }>;

/** What a register read on request gives back: the meters' results and the records made of them. */
export interface RequestedRead {
  results: MeterReadResult[];
  records: ReadRecord[];
  /** Why the outbox refused the records (full disk, damaged database): they will not reach central. Null: stored. */
  notStored: { code: string; message: string } | null;
}

export interface ReadCommandDeps {
  config: GatewayConfig;
  /** The registers cycle on these meters, stored before it resolves; `reread` flags the records so. */
  readRegisters: (meters: readonly MeterDefinition[], options: { reread: boolean }) => Promise<RequestedRead>;
}

/**
 * The answer to `read-now` (src/wire/README.md, ReadNowResultSchema): the values for people, and the read
 * ids of the stored reads so central waits for exactly those on the signed reads stream. With `asked` (the
 * command's register list) the answer holds those registers only.
 */
export function readNowAnswer(meterId: string, result: MeterReadSuccess, records: readonly ReadRecord[], asked?: readonly string[]): ReadNowResult {
  const wanted = (obis: string): boolean => asked === undefined || asked.includes(obis);
  return {
    meterId,
    meterTime: result.meterTime ? new Date(result.meterTime).toISOString() : null,
    registers: result.registers.filter((r) => wanted(r.obis)).map((r) => ({ obis: r.obis, bcs: r.bcs, value: r.value, unit: r.unit })),
    readIds: records.filter((r) => r.meterId === meterId && wanted(r.obis)).map((r) => r.readId),
  };
}

/** The asked registers the meter's model does not read: a typo in central's command, refused before any read. */
function unknownRegisters(meter: MeterDefinition, asked: readonly string[] | undefined): string[] {
  return (asked ?? []).filter((obis) => !meter.registers.some((r) => r.obis === obis));
}

/**
 * Central's `read-now` (phúc tra, an operator's on-demand read, a swap check): one meter read now, its
 * reads stored in the outbox flagged `reread` and forwarded like any read. The reads are the evidence;
 * when they could not be stored the command fails rather than name reads that will never arrive.
 */
export async function runReadNow(c: ReadNowCommand, deps: ReadCommandDeps): Promise<JsonValue> {
  const { config } = deps;
  const meter = config.meters.find((m) => m.id === c.meterId);
  if (!meter) throw new GatewayError('GATEWAY_UNKNOWN_METER', `meter ${c.meterId} is not configured on gateway ${config.gateway.id}`, { context: { meter: c.meterId } });
  const unknown = unknownRegisters(meter, c.registers);
  if (unknown.length > 0) {
    throw new GatewayError('GATEWAY_UNKNOWN_REGISTER', `meter ${meter.id} (model ${meter.model}) does not read ${unknown.join(', ')}; it reads ${meter.registers.map((r) => r.obis).join(', ')}`, {
      context: { meter: meter.id, unknown: unknown.join(' ') },
    });
  }
  // The whole profile is read and stored all the same: one association and one GET-with-list either way,
  // and the other registers are evidence too. The answer names the asked ones.
  const { results, records, notStored } = await deps.readRegisters([meter], { reread: true });
  const [result] = results;
  if (!result?.ok) throw new Error(result ? `${result.code}: ${result.message}` : 'no result');
  const missing = (c.registers ?? []).filter((obis) => !result.registers.some((r) => r.obis === obis));
  if (missing.length > 0) {
    const why = result.partialErrors.filter((e) => missing.includes(e.obis)).map((e) => `${e.obis}: ${e.code} ${e.message}`);
    throw new GatewayError('GATEWAY_REGISTER_NOT_READ', `meter ${meter.id} answered but not for ${missing.join(', ')}${why.length ? ` (${why.join('; ')})` : ''}`, {
      context: { meter: meter.id, missing: missing.join(' ') },
    });
  }
  if (notStored !== null) {
    throw new GatewayError('GATEWAY_READ_NOT_STORED', `meter ${meter.id} was read but its reads could not be stored in the outbox (${notStored.code}: ${notStored.message}); they will not reach central`, {
      context: { meter: meter.id, storeCode: notStored.code },
    });
  }
  return readNowAnswer(meter.id, result, records, c.registers) as unknown as JsonValue;
}

/** Central's `reread-book`: every meter of the book on this gateway read now; the answer counts them. */
export async function runRereadBook(c: RereadBookCommand, deps: ReadCommandDeps): Promise<JsonValue> {
  const { config } = deps;
  const meters = config.meters.filter((m) => m.bookCode === c.bookCode);
  if (meters.length === 0) throw new Error(`no meter of book ${c.bookCode} on gateway ${config.gateway.id}`);
  // Not flagged `reread`: a book read again is the book's regular read, taken sooner.
  const { results } = await deps.readRegisters(meters, { reread: false });
  return { bookCode: c.bookCode, read: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
}
