import type { Bcs, ReadUnit } from '../wire/reads.js';

export type { BusDefinition, MeterConnection, MeterDefinition, RegisterMapping, ServerAddressSpec } from '../config/field.js';

/** What one poll of one meter gave: values, or the reason it could not be read. */
export type MeterReadResult = MeterReadSuccess | MeterReadFailure;

export interface RegisterValue {
  obis: string;
  bcs: Bcs | null;
  /** Exact decimal text in `unit` (scaler applied). */
  value: string;
  unit: ReadUnit;
  scaler?: number;
}

export interface MeterReadSuccess {
  ok: true;
  meterId: string;
  /** Gateway time when the answer arrived (ms since epoch). */
  receivedAt: number;
  /** The meter's clock (ms since epoch) and whether its status flags it invalid/doubtful. */
  meterTime?: number;
  clockInvalid?: boolean;
  /** Meter clock minus gateway clock, seconds. */
  clockOffsetSeconds?: number;
  /** How far the offset may be off: half the request's round trip plus the clock's resolution. */
  clockUncertaintySeconds?: number;
  registers: RegisterValue[];
  /** The meter's event/status word (0.0.96.5.0.255), when read. */
  statusWord?: number;
  /**
   * Entries of the meter's standard event log (0.0.99.98.0.255) new since the last poll, oldest first,
   * when the model has the log and it was read ([] = read, nothing new). What happened between two polls.
   */
  events?: MeterLogEntry[];
  /** Attributes that failed while the meter itself answered (e.g. an undefined OBIS on this model). */
  partialErrors: { obis: string; code: string; message: string }[];
  /** Serial read from the meter, if asked. */
  serial?: string;
}

/** One entry of a meter's event log: the meter's own time stamp (ms since epoch) and the event code. */
export interface MeterLogEntry {
  at: number;
  code: number;
}

export interface MeterReadFailure {
  ok: false;
  meterId: string;
  receivedAt: number;
  /** MeterError code (METER_NO_ANSWER, METER_AUTH_FAILED, …) and its message. */
  code: string;
  step: string;
  message: string;
  retryable: boolean;
}
