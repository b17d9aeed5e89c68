import type { Bcs, ReadUnit } from '../wire/reads.js';

/**
 * What the gateway knows about its field: buses, meters and how to read them, as the config file gives
 * it after validation. The poller, detection and forwarder only ever see these types.
 */

/** HDLC server address (IEC 62056-46): logical device, physical device, address size in bytes. */
export interface ServerAddressSpec {
  logical: number;
  physical?: number;
  size: 1 | 2 | 4;
}

/** One RS485 port (or RF modem on a serial port): one conversation at a time. */
export interface BusDefinition {
  id: string;
  device: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  /** Wait for each answer frame before re-polling; RF links need seconds. */
  responseTimeoutMs: number;
  /** Re-polls before a meter is given up for this cycle. */
  maxRetries: number;
  /** Quiet time between the last byte received and the next frame sent (RS485 turnaround). */
  interFrameGapMs: number;
  /** Pace our writes to the line rate (RF links at a few kbit/s buffer badly). */
  paceBaudRate?: number;
  /** Meters that need the IEC 62056-21 mode E sign-on before HDLC. */
  iec21?: boolean;
}

export type MeterConnection =
  | { kind: 'bus'; bus: string; server: ServerAddressSpec }
  | { kind: 'tcp'; host: string; port: number; profile: 'wrapper'; serverWPort: number; responseTimeoutMs: number; maxRetries: number }
  | { kind: 'tcp'; host: string; port: number; profile: 'hdlc'; server: ServerAddressSpec; responseTimeoutMs: number; maxRetries: number };

/** The meter's own alarms (status word bits, event-log codes) the gateway reports. */
export const METER_ALARMS = ['cover-open', 'magnetic-tamper', 'power-failure', 'reverse-flow'] as const;
export type MeterAlarm = (typeof METER_ALARMS)[number];

/** How one register of a meter model maps to a CMIS register (BCS). Never assumed: configured per model. */
export interface RegisterMapping {
  obis: string;
  classId: number;
  /** The billed register this is, or null for registers read for detection only (export, …). */
  bcs: Bcs | null;
  /** Report the value in this unit (e.g. the meter counts Wh, CMIS bills kWh). */
  unit: ReadUnit;
}

export interface MeterDefinition {
  /** Meter asset code (MA_CTO) — the meter's identity in every message. */
  id: string;
  /** Serial number printed on the meter (SERY_CTO); checked against 0.0.96.1.0.255 when read. */
  serial?: string;
  /** MA_DDO: the metering point (customer code + 3 digits). */
  meteringPoint: string;
  customerCode?: string;
  bookCode?: string;
  routeOrder?: number;
  connection: MeterConnection;
  authentication: { clientSap: number; password?: string };
  model: string;
  registers: RegisterMapping[];
  /** HSN (CT × PT), as an exact decimal string. */
  multiplier: string;
  /** A customer that only imports: export energy on its meter is an anomaly. */
  importOnly: boolean;
  /** GET-with-list use for this model; 'never' for models known to mishandle it. */
  withList: 'auto' | 'never';
  maxListItems: number;
  /** The model's event-log codes that open an alarm, when they are not the usual ones (DEFAULT_EVENT_CODES). */
  eventCodes?: Readonly<Record<number, MeterAlarm>>;
}

