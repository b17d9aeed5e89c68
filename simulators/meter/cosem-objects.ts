import { cosemDateTimeToDate, encodeDateTimeBytes } from '../../src/dlms/axdr/datetime.js';
import { asDateTime } from '../../src/dlms/axdr/read.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import type { ActionResultName } from '../../src/dlms/apdu/action-result.js';
import type { DataAccessResultName } from '../../src/dlms/apdu/data-access-result.js';
import { encodeObjectList } from '../../src/dlms/cosem/association.js';
import { encodeCaptureObject } from '../../src/dlms/cosem/capture-object.js';
import { CLOCK, DEMAND_REGISTER, EXTENDED_REGISTER } from '../../src/dlms/cosem/classes.js';
import { obisToBytes, parseObis, type Obis } from '../../src/dlms/cosem/obis.js';
import { encodeCaptureObjects } from '../../src/dlms/cosem/profile.js';
import { encodeSapAssignmentList } from '../../src/dlms/cosem/sap.js';
import { encodeScalerUnit } from '../../src/dlms/cosem/scaler-unit.js';
import { DEMAND_SCALER, DEMAND_UNIT, DemandModel, type DemandObjectDef, demandObjectListFor, findDemandObject } from './demand.js';
import type { SimulatedMeter, RegisterValues } from './meter-model.js';
import { type AccessLevel, type ObjectDef, allows, findObject, objectListFor, REGISTER_OBIS } from './object-table.js';
import { type ProfileView, billingView, clockData, eventLogView, loadProfileView, registerData } from './profile-buffers.js';
import { type SelectorParams, selectBuffer } from './selective-access.js';

/**
 * The simulated meter as COSEM objects: GET, SET and ACTION on attributes and methods, answered from
 * the model at the current simulation time. Every refusal is a Data-Access-Result / Action-Result name
 * as the standard defines them, so the protocol layer only has to encode it:
 * - unknown logical name → object-undefined; known name, other class → object-class-inconsistent;
 *   attribute or method the object does not have → object-undefined;
 * - attribute or method above the association's level → read-write-denied;
 * - selective access on an attribute that has none → scope-of-access-violated.
 */

export type GetResult = DlmsData | { error: DataAccessResultName };
export type SetResult = { ok: true } | { error: DataAccessResultName };
export type ActionOutcome = { ok: true; data?: DlmsData } | { error: ActionResultName };

export interface ObjectRef {
  classId: number;
  obis: Obis | string;
}

export interface AttributeRef extends ObjectRef {
  attribute: number;
}

/** Client SAP of each level, as the association object reports its partner. */
const CLIENT_SAP: Record<AccessLevel, number> = { public: 16, reading: 17, management: 1 };
const SERVER_SAP = 1;

const UNIT_WH = 30;
const UNIT_VARH = 32;

export function isAccessError(r: unknown): r is { error: string } {
  return typeof r === 'object' && r !== null && 'error' in r && !('type' in r);
}

export class MeterObjects {
  private readonly demand: DemandModel;
  /**
   * The instant the energy registers are answered from while an association is open. On accelerated
   * simulated time a session of a few real milliseconds spans minutes, so a list split over two requests
   * would see total and tariffs from different minutes — something no real meter shows in one session.
   * The clock keeps running, so clock checks still measure the meter's clock.
   */
  private registersAt: number | undefined;

  constructor(readonly meter: SimulatedMeter) {
    this.demand = new DemandModel(meter);
  }

  associationChanged(open: boolean): void {
    this.registersAt = open ? this.meter.now() : undefined;
  }

  /** Logical device name (0.0.42.0.0.255) and the name the SAP list announces. */
  get logicalDeviceName(): string {
    return `CHS${this.meter.serial}`;
  }

  get(ref: AttributeRef, accessLevel: AccessLevel, selector?: SelectorParams): GetResult {
    const found = this.lookup(ref);
    if ('error' in found) return found;
    const def = found;
    const attr = def.attributes.find((a) => a.id === ref.attribute);
    if (!attr) return { error: 'object-undefined' };
    if (attr.read === undefined || !allows(accessLevel, attr.read)) return { error: 'read-write-denied' };
    if (selector !== undefined && !attr.selectors?.includes(selector.selector)) return { error: 'scope-of-access-violated' };
    if (ref.attribute === 1) return { type: 'octet-string', value: obisToBytes(def.obis) };
    const t = this.meter.now();
    switch (def.role) {
      case 'association':
        return this.association(ref.attribute, accessLevel);
      case 'sap':
        return encodeSapAssignmentList([{ sap: SERVER_SAP, logicalDeviceName: this.logicalDeviceName }]);
      case 'clock':
        return this.clock(ref.attribute, t);
      case 'serial':
        return { type: 'octet-string', value: new TextEncoder().encode(this.meter.serial) };
      case 'device-name':
        return { type: 'octet-string', value: new TextEncoder().encode(this.logicalDeviceName) };
      case 'status':
        return { type: 'double-long-unsigned', value: this.meter.statusAt(t) };
      case 'event-code':
        return { type: 'unsigned', value: this.meter.events(t).at(-1)?.code ?? 0 };
      case 'register':
        return this.register(def.obis, ref.attribute, this.registersAt ?? t);
      case 'billing':
        return this.profile(billingView(this.meter, t), ref.attribute, selector);
      case 'load-profile':
        return this.profile(loadProfileView(this.meter, t), ref.attribute, selector);
      case 'event-log':
        return this.profile(eventLogView(this.meter, t), ref.attribute, selector);
      case 'max-demand':
        return this.maxDemand(ref.attribute, t);
      case 'demand':
        return this.demandRegister(ref.attribute, t);
    }
  }

  set(ref: AttributeRef, value: DlmsData, accessLevel: AccessLevel): SetResult {
    const found = this.lookup(ref);
    if ('error' in found) return found;
    const attr = found.attributes.find((a) => a.id === ref.attribute);
    if (!attr) return { error: 'object-undefined' };
    if (attr.write === undefined || !allows(accessLevel, attr.write)) return { error: 'read-write-denied' };
    // Only the clock's time is writable (see the object table).
    const dt = asDateTime(value);
    const when = dt && cosemDateTimeToDate(dt, this.meter.deviation);
    if (dt === undefined) return { error: 'type-unmatched' };
    if (when === undefined) return { error: 'other-reason' };
    this.meter.setClock(when.getTime(), this.meter.now());
    return { ok: true };
  }

  action(ref: ObjectRef, method: number, params: DlmsData | undefined, accessLevel: AccessLevel): ActionOutcome {
    const found = this.lookup(ref);
    if ('error' in found) return found;
    const m = found.methods.find((x) => x.id === method);
    if (!m) return { error: 'object-undefined' };
    if (!allows(accessLevel, m.level)) return { error: 'read-write-denied' };
    // Only clock methods exist (IEC 62056-6-2 Clock class methods).
    const t = this.meter.now();
    const clock = this.meter.clockAt(t);
    const roundTo = (unit: number): number => Math.round(clock / unit) * unit;
    switch (method) {
      case CLOCK.method.adjustToQuarter:
        this.meter.setClock(roundTo(15 * 60_000), t);
        return { ok: true };
      case CLOCK.method.adjustToMinute:
        this.meter.setClock(roundTo(60_000), t);
        return { ok: true };
      case CLOCK.method.shiftTime: {
        // shift_time (data ::= long, −900..900 s).
        if (params?.type !== 'long') return { error: 'type-unmatched' };
        if (params.value < -900 || params.value > 900) return { error: 'other-reason' };
        this.meter.setClock(clock + params.value * 1000, t);
        return { ok: true };
      }
      default:
        return { error: 'object-undefined' };
    }
  }

  // ---- per class ------------------------------------------------------------------------------

  private lookup(ref: ObjectRef): ObjectDef | DemandObjectDef | { error: 'object-undefined' | 'object-class-inconsistent' } {
    let def: ObjectDef | DemandObjectDef | undefined;
    try {
      const obis = parseObis(ref.obis);
      def = findObject(obis) ?? findDemandObject(obis);
    } catch {
      def = undefined; // not an OBIS code at all: no such object
    }
    if (!def) return { error: 'object-undefined' };
    if (def.classId !== ref.classId) return { error: 'object-class-inconsistent' };
    return def;
  }

  private association(attribute: number, level: AccessLevel): GetResult {
    switch (attribute) {
      case 2:
        return encodeObjectList([...objectListFor(level), ...demandObjectListFor(level)]);
      case 3:
        return {
          type: 'structure',
          value: [
            { type: 'integer', value: CLIENT_SAP[level] },
            { type: 'long-unsigned', value: SERVER_SAP },
          ],
        };
      default:
        return { type: 'enum', value: 2 }; // 8, association_status: associated
    }
  }

  private clock(attribute: number, t: number): GetResult {
    const m = this.meter;
    const notSpecified: DlmsData = { type: 'octet-string', value: encodeDateTimeBytes({}) };
    switch (attribute) {
      case CLOCK.attr.time:
        return clockData(m, m.clockAt(t), m.clockStatusAt(t));
      case CLOCK.attr.timeZone:
        return { type: 'long', value: m.deviation };
      case CLOCK.attr.status:
        return { type: 'unsigned', value: m.clockStatusAt(t) };
      case CLOCK.attr.daylightSavingsBegin:
      case CLOCK.attr.daylightSavingsEnd:
        return notSpecified; // no DST in Vietnam
      case CLOCK.attr.daylightSavingsDeviation:
        return { type: 'integer', value: 0 };
      case CLOCK.attr.daylightSavingsEnabled:
        return { type: 'boolean', value: false };
      default:
        return { type: 'enum', value: 1 }; // 9, clock_base: internal crystal
    }
  }

  private register(obis: Obis, attribute: number, t: number): GetResult {
    const key = (Object.keys(REGISTER_OBIS) as (keyof RegisterValues)[]).find((k) => REGISTER_OBIS[k] === obis)!;
    if (attribute === 3) return encodeScalerUnit({ scaler: this.meter.scaler, unit: key === 'reactiveImport' ? UNIT_VARH : UNIT_WH });
    return registerData(this.meter.registersAt(t)[key]);
  }

  /** Extended Register 1.0.1.6.0.255, maximum demand of the billing month (see demand.ts). */
  private maxDemand(attribute: number, t: number): GetResult {
    const md = this.demand.maxAt(t);
    switch (attribute) {
      case EXTENDED_REGISTER.attr.value:
        return { type: 'double-long-unsigned', value: md.value };
      case EXTENDED_REGISTER.attr.scalerUnit:
        return encodeScalerUnit({ scaler: DEMAND_SCALER, unit: DEMAND_UNIT });
      case EXTENDED_REGISTER.attr.status:
        return { type: 'unsigned', value: md.status };
      default: // capture_time
        return md.captureTime === undefined ? { type: 'octet-string', value: encodeDateTimeBytes({}) } : clockData(this.meter, md.captureTime);
    }
  }

  /** Demand Register 1.0.1.4.0.255, block demand over the meter's 15-minute periods (see demand.ts). */
  private demandRegister(attribute: number, t: number): GetResult {
    const d = this.demand.at(t);
    switch (attribute) {
      case DEMAND_REGISTER.attr.currentAverageValue:
        return { type: 'double-long-unsigned', value: d.currentAverage };
      case DEMAND_REGISTER.attr.lastAverageValue:
        return { type: 'double-long-unsigned', value: d.lastAverage };
      case DEMAND_REGISTER.attr.scalerUnit:
        return encodeScalerUnit({ scaler: DEMAND_SCALER, unit: DEMAND_UNIT });
      case DEMAND_REGISTER.attr.status:
        return { type: 'unsigned', value: d.status };
      case DEMAND_REGISTER.attr.captureTime:
      case DEMAND_REGISTER.attr.startTimeCurrent:
        // The last average was captured when the running period began.
        return clockData(this.meter, d.startTimeCurrent);
      case DEMAND_REGISTER.attr.period:
        return { type: 'double-long-unsigned', value: this.demand.periodS };
      default: // number_of_periods
        return { type: 'long-unsigned', value: 1 };
    }
  }

  private profile(view: ProfileView, attribute: number, selector: SelectorParams | undefined): GetResult {
    switch (attribute) {
      case 2: {
        const s = selectBuffer(view, this.meter.deviation, selector);
        return 'error' in s ? s : s.rows;
      }
      case 3:
        return encodeCaptureObjects(view.captureObjects);
      case 4:
        return { type: 'double-long-unsigned', value: view.capturePeriodS };
      case 5:
        return { type: 'enum', value: 1 }; // sort_method: fifo
      case 6:
        return encodeCaptureObject({ classId: 0, obis: '0.0.0.0.0.0' as Obis, attribute: 0, dataIndex: 0 }); // unsorted
      case 7:
        return { type: 'double-long-unsigned', value: view.stamps.length };
      default:
        return { type: 'double-long-unsigned', value: view.capacity };
    }
  }
}
