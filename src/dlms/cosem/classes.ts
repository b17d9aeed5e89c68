import { parseObis, type Obis } from './obis.js';
import { DlmsError } from '../errors.js';

/**
 * COSEM interface classes (IEC 62056-6-2 §4.3–4.4) by class_id, and their attribute and method
 * numbers. Attribute 1 is always logical_name. Only what chiso reads or the simulator serves is
 * listed; add as needed, always from the class's table in the standard.
 */
export const CLASS_ID = {
  data: 1,
  register: 3,
  extendedRegister: 4,
  demandRegister: 5,
  registerActivation: 6,
  profileGeneric: 7,
  clock: 8,
  scriptTable: 9,
  schedule: 10,
  specialDaysTable: 11,
  associationSN: 12,
  associationLN: 15,
  sapAssignment: 17,
  imageTransfer: 18,
  iecLocalPortSetup: 19,
  activityCalendar: 20,
  registerMonitor: 21,
  singleActionSchedule: 22,
  iecHdlcSetup: 23,
  securitySetup: 64,
  disconnectControl: 70,
  limiter: 71,
} as const;

export const DATA = { attr: { logicalName: 1, value: 2 }, method: {} } as const;

export const REGISTER = { attr: { logicalName: 1, value: 2, scalerUnit: 3 }, method: { reset: 1 } } as const;

export const EXTENDED_REGISTER = {
  attr: { logicalName: 1, value: 2, scalerUnit: 3, status: 4, captureTime: 5 },
  method: { reset: 1 },
} as const;

export const DEMAND_REGISTER = {
  attr: {
    logicalName: 1,
    currentAverageValue: 2,
    lastAverageValue: 3,
    scalerUnit: 4,
    status: 5,
    captureTime: 6,
    startTimeCurrent: 7,
    period: 8,
    numberOfPeriods: 9,
  },
  method: { reset: 1, nextPeriod: 2 },
} as const;

export const PROFILE_GENERIC = {
  attr: {
    logicalName: 1,
    buffer: 2,
    captureObjects: 3,
    capturePeriod: 4,
    sortMethod: 5,
    sortObject: 6,
    entriesInUse: 7,
    profileEntries: 8,
  },
  method: { reset: 1, capture: 2 },
} as const;

export const CLOCK = {
  attr: {
    logicalName: 1,
    time: 2,
    timeZone: 3,
    status: 4,
    daylightSavingsBegin: 5,
    daylightSavingsEnd: 6,
    daylightSavingsDeviation: 7,
    daylightSavingsEnabled: 8,
    clockBase: 9,
  },
  method: { adjustToQuarter: 1, adjustToMeasuringPeriod: 2, adjustToMinute: 3, adjustToPresetTime: 4, presetAdjustingTime: 5, shiftTime: 6 },
} as const;

export const ASSOCIATION_LN = {
  attr: {
    logicalName: 1,
    objectList: 2,
    associatedPartnersId: 3,
    applicationContextName: 4,
    xdlmsContextInfo: 5,
    authenticationMechanismName: 6,
    secret: 7,
    associationStatus: 8,
    securitySetupReference: 9,
    userList: 10,
    currentUser: 11,
  },
  method: { replyToHlsAuthentication: 1, changeHlsSecret: 2, addObject: 3, removeObject: 4, addUser: 5, removeUser: 6 },
} as const;

export const SAP_ASSIGNMENT = { attr: { logicalName: 1, sapAssignmentList: 2 }, method: { connectLogicalDevice: 1 } } as const;

/** One attribute of one object: what GET/SET name on the wire (Cosem-Attribute-Descriptor). */
export interface AttributeRef {
  classId: number;
  obis: Obis;
  attribute: number;
}

/** One method of one object (Cosem-Method-Descriptor). */
export interface MethodRef {
  classId: number;
  obis: Obis;
  method: number;
}

/** "3/1.0.1.8.0.255/2": the form logs, tests and the vectors use. */
export function formatRef(r: AttributeRef | MethodRef): string {
  return `${r.classId}/${r.obis}/${'attribute' in r ? r.attribute : r.method}`;
}

/** Inverse of formatRef for attributes; the OBIS part may be any form parseObis accepts. */
export function parseRef(text: string): AttributeRef {
  const m = /^(\d{1,5})\/([^/]+)\/(-?\d{1,3})$/.exec(text.trim());
  if (!m) throw new DlmsError('DLMS_BAD_DATA', `attribute reference "${text.slice(0, 60)}" is not "class/obis/attribute"`);
  const classId = Number(m[1]);
  const attribute = Number(m[3]);
  if (classId > 0xffff || attribute < -128 || attribute > 127) {
    throw new DlmsError('DLMS_BAD_DATA', `attribute reference "${text.slice(0, 60)}": class id or attribute out of range`);
  }
  return { classId, obis: parseObis(m[2] as string), attribute };
}

export function attributeRef(classId: number, obis: Obis | string, attribute: number): AttributeRef {
  return { classId, obis: parseObis(obis), attribute };
}
