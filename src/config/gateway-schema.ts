import { z } from 'zod';
import {
  baudRate,
  bcsCode,
  cmisCodeText,
  code,
  cronText,
  filePath,
  gatewayIdText,
  meterIdText,
  multiplierText,
  numericText,
  obisText,
  oneOf,
  portNumber,
  readUnit,
  text,
  unitCodeText,
  wholeNumber,
  CMIS_CODE_PATTERN,
} from './schema-parts.js';
import { METER_ALARMS } from './field.js';
import {
  KeysFileSchema,
  LOG_LEVELS,
  MetricsFileSchema,
  MqttFileSchema,
  RetentionFileSchema,
  SchedulesFileSchema,
  ThresholdsFileSchema,
} from './service-schema.js';

export * from './service-schema.js';

/**
 * The gateway's configuration file, as zod sees it: shapes, ranges and defaults, and the checks that stay
 * inside one object (an HDLC address against its size, a TCP profile against its address). Checks across
 * sections (a meter's model exists, addresses are unique on a bus …) are in gateway-checks.ts, because
 * they must run even when an unrelated part of the file is wrong. Every object is strict: a misspelt key
 * (`hdlcAdress`) is an error, not a silently ignored line.
 */

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const boolean = z.boolean({ error: 'true or false' });

// --- gateway -------------------------------------------------------------------------------------------

export const GatewayIdentitySchema = z.strictObject({
  id: gatewayIdText,
  /** MA_DVIQLY of the unit that owns the substation. */
  unitCode: unitCodeText,
  /** MA_TRAM. */
  substation: cmisCodeText('substation code (MA_TRAM)'),
  /** A name for people (dashboards, the daily digest). */
  name: text('a name', 200).optional(),
});

// --- buses ---------------------------------------------------------------------------------------------

export const BusFileSchema = z.strictObject({
  id: code('a bus id: letters, digits, . _ -', NAME_PATTERN, 64),
  device: text('a serial device path, e.g. /dev/ttyUSB0', 4096),
  baud: baudRate.default(9600),
  parity: oneOf(['none', 'even', 'odd']).default('none'),
  dataBits: z.literal([7, 8], { error: 'one of 7, 8' }).default(8),
  stopBits: z.literal([1, 2], { error: 'one of 1, 2' }).default(1),
  responseTimeoutMs: wholeNumber(50, 120_000).default(1500),
  maxRetries: wholeNumber(0, 10).default(3),
  interFrameGapMs: wholeNumber(0, 10_000).default(20),
  /** Pace writes to this line rate (RF modems on a serial port buffer badly). */
  paceBaud: baudRate.optional(),
  /** Every meter on this bus wants the IEC 62056-21 mode E sign-on before HDLC. */
  iec21: boolean.default(false),
});
export type BusFile = z.output<typeof BusFileSchema>;

// --- models --------------------------------------------------------------------------------------------

export const RegisterFileSchema = z.strictObject({
  obis: obisText,
  classId: z.literal([1, 3, 4, 5], { error: 'one of 1 (data), 3 (register), 4 (extended register), 5 (demand register)' }).default(3),
  /** Required, even when null: which tariff register bills as which BCS is never assumed (DOMAIN.md). */
  bcs: bcsCode,
  unit: readUnit,
});

export const ModelFileSchema = z
  .strictObject({
    description: text('a description', 200).optional(),
    registers: z.array(RegisterFileSchema, { error: 'a list of registers' }).min(1, { error: 'at least one register' }),
    /** 'never' for models known to mishandle GET-with-list. */
    withList: oneOf(['auto', 'never']).default('auto'),
    maxListItems: wholeNumber(1, 64).default(10),
    /** The model has the event/status word 0.0.96.5.0.255 (cover open, magnetic tamper, power failure, reverse flow). */
    statusWord: boolean.default(false),
    /**
     * The model keeps the standard event log 0.0.99.98.0.255 (time stamp, event code): read what it gained
     * since the last poll, so that an alarm that came and went between two polls is still reported.
     */
    eventLog: boolean.default(false),
    /**
     * Which of the model's event-log codes open which alarm, e.g. { 1: power-failure, 40: cover-open }, when
     * the make does not use the usual IDIS numbering; codes not listed are not alarms. Needs eventLog.
     */
    eventCodes: z
      .record(z.string().regex(/^\d{1,5}$/, { error: 'an event code 0..65535' }).refine((k) => Number(k) <= 65535, { error: 'an event code 0..65535' }), oneOf(METER_ALARMS), {
        error: 'a mapping of event codes to alarms',
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (m.eventCodes !== undefined && !m.eventLog) {
      ctx.addIssue({ code: 'custom', path: ['eventCodes'], message: "the model's eventLog: true (the codes are those of its event log)" });
    }
    const seenObis = new Map<string, number>();
    const seenBcs = new Map<string, number>();
    m.registers.forEach((r, i) => {
      const o = seenObis.get(r.obis);
      if (o !== undefined) ctx.addIssue({ code: 'custom', path: ['registers', i, 'obis'], message: `each OBIS code once per model (also registers[${o}])` });
      else seenObis.set(r.obis, i);
      if (r.bcs === null) return;
      const b = seenBcs.get(r.bcs);
      if (b !== undefined) ctx.addIssue({ code: 'custom', path: ['registers', i, 'bcs'], message: `each BCS once per model (registers[${b}] is already ${r.bcs})` });
      else seenBcs.set(r.bcs, i);
    });
  });
export type ModelFile = z.output<typeof ModelFileSchema>;

export const MODEL_NAME_TEXT = 'a model name: letters, digits, . _ -';
export const ModelsFileSchema = z.record(z.string().regex(NAME_PATTERN, { error: MODEL_NAME_TEXT }), ModelFileSchema, {
  error: 'a mapping of model names to models',
});

// --- meters --------------------------------------------------------------------------------------------

/** IEC 62056-46 §6.4.2.2: lower (physical) addresses 0x00–0x0F and the two top values are reserved. */
export const HDLC_RANGES = {
  1: { logical: [1, 125], physical: undefined },
  2: { logical: [1, 125], physical: [16, 125] },
  4: { logical: [1, 16381], physical: [16, 16381] },
} as const;

export const HdlcAddressFileSchema = z
  .strictObject({
    physical: z.preprocess(numericText, z.int({ error: 'a whole number' })).optional(),
    logical: z.preprocess(numericText, z.int({ error: 'a whole number' })).default(1),
    size: z.literal([1, 2, 4], { error: 'one of 1, 2, 4 (bytes)' }).default(4),
  })
  .superRefine((a, ctx) => {
    const r = HDLC_RANGES[a.size];
    const [lmin, lmax] = r.logical;
    if (a.logical < lmin || a.logical > lmax) {
      ctx.addIssue({ code: 'custom', path: ['logical'], message: `a whole number ${lmin}..${lmax} for a ${a.size}-byte address` });
    }
    if (r.physical === undefined) {
      if (a.physical !== undefined) ctx.addIssue({ code: 'custom', path: ['physical'], message: 'no physical address in a 1-byte address (use size 2 or 4)' });
      return;
    }
    const [pmin, pmax] = r.physical;
    if (a.physical === undefined || a.physical < pmin || a.physical > pmax) {
      ctx.addIssue({ code: 'custom', path: ['physical'], message: `a whole number ${pmin}..${pmax}` });
    }
  });
export type HdlcAddressFile = z.output<typeof HdlcAddressFileSchema>;

export const TcpFileSchema = z
  .strictObject({
    host: text('a host name or IP address', 253),
    port: portNumber,
    profile: oneOf(['wrapper', 'hdlc']).default('wrapper'),
    /** Destination wPort of the wrapper profile (IEC 62056-47): the meter's logical device. */
    wPort: wholeNumber(1, 65535).optional(),
    hdlcAddress: HdlcAddressFileSchema.optional(),
    responseTimeoutMs: wholeNumber(100, 120_000).default(5000),
    maxRetries: wholeNumber(0, 10).default(3),
  })
  .superRefine((t, ctx) => {
    if (t.profile === 'wrapper') {
      if (t.wPort === undefined) ctx.addIssue({ code: 'custom', path: ['wPort'], message: 'a wPort 1..65535 for the wrapper profile (usually 1)' });
      if (t.hdlcAddress !== undefined) ctx.addIssue({ code: 'custom', path: ['hdlcAddress'], message: 'no hdlcAddress with the wrapper profile (it uses wPort)' });
    } else {
      if (t.hdlcAddress === undefined) ctx.addIssue({ code: 'custom', path: ['hdlcAddress'], message: 'an hdlcAddress for the hdlc profile' });
      if (t.wPort !== undefined) ctx.addIssue({ code: 'custom', path: ['wPort'], message: 'no wPort with the hdlc profile (it uses hdlcAddress)' });
    }
  });

export const AuthFileSchema = z
  .strictObject({
    /** 16 public client (no password), 17 reading client with LLS (the usual), 1 management. */
    clientSap: wholeNumber(1, 127).default(17),
    password: text('a password', 64).optional(),
    passwordFile: filePath('the path of a file holding the password').optional(),
  })
  .superRefine((a, ctx) => {
    if (a.password !== undefined && a.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'either password or passwordFile, not both' });
    }
    if (a.clientSap !== 16 && a.password === undefined && a.passwordFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: `a password or passwordFile for client ${a.clientSap} (only the public client 16 reads without one)` });
    }
  });
export type AuthFile = z.output<typeof AuthFileSchema>;

export const MeterFileSchema = z
  .strictObject({
    id: meterIdText,
    serial: code('a serial number (SERY_CTO): letters, digits, . _ -', CMIS_CODE_PATTERN, 64).optional(),
    meteringPoint: cmisCodeText('metering point code (MA_DDO)'),
    customerCode: cmisCodeText('customer code (MA_KHANG)').optional(),
    bookCode: cmisCodeText('book code (MA_QUYEN)').optional(),
    routeOrder: wholeNumber(1, 1_000_000).optional(),
    model: text('the name of a model from the models section', 64),
    bus: text('the id of a bus from the buses section', 64).optional(),
    hdlcAddress: HdlcAddressFileSchema.optional(),
    tcp: TcpFileSchema.optional(),
    auth: AuthFileSchema.prefault({}),
    multiplier: multiplierText.default('1'),
    importOnly: boolean.default(true),
    /** Where it hangs, for the technician (pole, box): not used by the software. */
    note: text('a note', 200).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.bus === undefined && m.tcp === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bus'], message: 'a bus (with hdlcAddress) or a tcp section' });
    } else if (m.bus !== undefined && m.tcp !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tcp'], message: 'either bus or tcp, not both' });
    } else if (m.bus !== undefined && m.hdlcAddress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['hdlcAddress'], message: 'an hdlcAddress for a meter on a bus, e.g. { physical: 17 }' });
    } else if (m.tcp !== undefined && m.hdlcAddress !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hdlcAddress'], message: 'no hdlcAddress beside tcp (put it inside tcp, with profile hdlc)' });
    }
    if (m.routeOrder !== undefined && m.bookCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bookCode'], message: 'a bookCode when routeOrder is given (the order is within a book)' });
    }
    // DOMAIN.md: MA_DDO is the customer code followed by 3 digits.
    if (m.customerCode !== undefined && !new RegExp(`^${escapeRegExp(m.customerCode)}[0-9]{3}$`).test(m.meteringPoint)) {
      ctx.addIssue({ code: 'custom', path: ['meteringPoint'], message: `the customer code ${m.customerCode} followed by 3 digits` });
    }
  });
export type MeterFile = z.output<typeof MeterFileSchema>;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- service additions ---------------------------------------------------------------------------------

/** The gateway's calendar: the shared schedule keys plus the daily outbox housekeeping. */
export const GatewaySchedulesFileSchema = SchedulesFileSchema.extend({
  /** Outbox retention (evict what the policy allows, forget old acked ids), daily at a quiet hour. */
  retention: cronText.default('30 3 * * *'),
});

export const GatewayRetentionFileSchema = RetentionFileSchema.extend({
  /**
   * Days an acked read id is remembered so that a read polled again is not sent twice. Longer than any
   * meter keeps a value the poller could read again (the load profile goes back ~40 days).
   */
  forgetAckedAfterDays: wholeNumber(1, 3650).default(45),
});

/**
 * Setting meter clocks on central's `clock-sync` command. A larger correction is refused whatever the
 * command asks: a big jump in a meter clock hides tampering (or a wrong gateway clock) and needs a person.
 */
export const ClockSyncFileSchema = z
  .strictObject({
    maxAdjustSeconds: wholeNumber(1, 86_400).default(300),
    /** The client that may set the clock (1 = management on most meters); default the meter's own client. */
    clientSap: wholeNumber(1, 127).optional(),
    /** That client's LLS password (or a file holding it); default each meter's own reading password. */
    password: text('a password', 64).optional(),
    passwordFile: filePath('the path of a file holding the password').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.password !== undefined && c.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'either password or passwordFile, not both' });
    }
    if ((c.password !== undefined || c.passwordFile !== undefined) && c.clientSap === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientSap'], message: 'the client the password is for (e.g. 1, management): without it the clock is set as the meter is read' });
    }
  });

// --- the file ------------------------------------------------------------------------------------------

export const GatewayFileSchema = z.strictObject(
  {
    gateway: GatewayIdentitySchema,
    buses: z.array(BusFileSchema, { error: 'a list of buses' }).default([]),
    models: ModelsFileSchema,
    meters: z.array(MeterFileSchema, { error: 'a list of meters' }).min(1, { error: 'at least one meter' }),
    schedules: GatewaySchedulesFileSchema.prefault({}),
    thresholds: ThresholdsFileSchema.prefault({}),
    tcp: z.strictObject({ maxParallel: wholeNumber(1, 1000).default(16) }).prefault({}),
    mqtt: MqttFileSchema,
    keys: KeysFileSchema,
    dataDir: filePath('the path of the data folder'),
    metrics: MetricsFileSchema.prefault({}),
    logLevel: oneOf(LOG_LEVELS).default('info'),
    retention: GatewayRetentionFileSchema.prefault({}),
    clockSync: ClockSyncFileSchema.prefault({}),
  },
  { error: 'a mapping with the sections gateway, buses, models, meters, mqtt, keys, dataDir …' },
);
export type GatewayFile = z.output<typeof GatewayFileSchema>;
