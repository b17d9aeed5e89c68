import { ATTRIBUTE_ACCESS, METHOD_ACCESS, type ObjectListEntry } from '../../src/dlms/cosem/association.js';
import { CLASS_ID } from '../../src/dlms/cosem/classes.js';
import { OBIS, parseObis, type Obis } from '../../src/dlms/cosem/obis.js';

/**
 * The simulated meter's object table: which COSEM objects exist, which attributes and methods each
 * serves, and the association level needed for each. Three levels, as a typical meter configures its
 * client SAPs: a public client (no authentication) sees the clock, the identity and the association
 * objects; a reading client (LLS) also reads energy, profiles and events; a management client may also
 * set the clock and call its methods.
 */

export type AccessLevel = 'public' | 'reading' | 'management';

const RANK: Record<AccessLevel, number> = { public: 0, reading: 1, management: 2 };

export function allows(have: AccessLevel, need: AccessLevel): boolean {
  return RANK[have] >= RANK[need];
}

/** The kinds of object the simulator knows how to answer for. */
export type ObjectRole =
  | 'association'
  | 'sap'
  | 'clock'
  | 'serial'
  | 'device-name'
  | 'status'
  | 'event-code'
  | 'register'
  | 'billing'
  | 'load-profile'
  | 'event-log';

export interface AttributeDef {
  id: number;
  read?: AccessLevel | undefined;
  write?: AccessLevel | undefined;
  /** Selective-access selectors the attribute accepts (profile buffers: 1 range, 2 entry). */
  selectors?: number[] | undefined;
}

export interface ObjectDef {
  classId: number;
  version: number;
  obis: Obis;
  role: ObjectRole;
  attributes: AttributeDef[];
  methods: { id: number; level: AccessLevel }[];
}

/** Energy registers and the meter reading they show. */
export const REGISTER_OBIS = {
  importTotal: OBIS.activeEnergyImportTotal,
  T1: OBIS.activeEnergyImportTariff1,
  T2: OBIS.activeEnergyImportTariff2,
  T3: OBIS.activeEnergyImportTariff3,
  exportTotal: OBIS.activeEnergyExportTotal,
  reactiveImport: OBIS.reactiveEnergyImportTotal,
} as const;

/** Last event code (IEC 62056-6-1 "event object"), the second column of the event log. */
export const EVENT_CODE_OBIS = parseObis('0.0.96.11.0.255');
/** Load-profile status column ("AMR profile status" as IDIS/DSMR name it). */
export const PROFILE_STATUS_OBIS = parseObis('0.0.96.10.1.255');

const attrs = (ids: number[], read: AccessLevel): AttributeDef[] => ids.map((id) => ({ id, read: id === 1 ? 'public' : read }));

const profile = (obis: Obis, role: ObjectRole): ObjectDef => ({
  classId: CLASS_ID.profileGeneric,
  version: 1,
  obis,
  role,
  attributes: [
    { id: 1, read: 'public' },
    { id: 2, read: 'reading', selectors: [1, 2] },
    ...[3, 4, 5, 6, 7, 8].map((id) => ({ id, read: 'reading' as const })),
  ],
  methods: [],
});

export const OBJECT_TABLE: readonly ObjectDef[] = [
  {
    classId: CLASS_ID.associationLN,
    version: 1,
    obis: OBIS.currentAssociation,
    role: 'association',
    // 7 (secret) is listed so that clients see it exists, but nobody may read it.
    attributes: [...attrs([1, 2, 3, 8], 'public'), { id: 7 }],
    methods: [],
  },
  { classId: CLASS_ID.sapAssignment, version: 0, obis: OBIS.sapAssignment, role: 'sap', attributes: attrs([1, 2], 'public'), methods: [] },
  {
    classId: CLASS_ID.clock,
    version: 0,
    obis: OBIS.clock,
    role: 'clock',
    attributes: [{ id: 1, read: 'public' }, { id: 2, read: 'public', write: 'management' }, ...attrs([3, 4, 5, 6, 7, 8, 9], 'public')],
    methods: [1, 3, 6].map((id) => ({ id, level: 'management' as const })),
  },
  { classId: CLASS_ID.data, version: 0, obis: OBIS.serialNumber, role: 'serial', attributes: attrs([1, 2], 'public'), methods: [] },
  { classId: CLASS_ID.data, version: 0, obis: OBIS.logicalDeviceName, role: 'device-name', attributes: attrs([1, 2], 'public'), methods: [] },
  { classId: CLASS_ID.data, version: 0, obis: OBIS.statusRegister, role: 'status', attributes: attrs([1, 2], 'reading'), methods: [] },
  { classId: CLASS_ID.data, version: 0, obis: EVENT_CODE_OBIS, role: 'event-code', attributes: attrs([1, 2], 'reading'), methods: [] },
  ...Object.values(REGISTER_OBIS).map(
    (obis): ObjectDef => ({ classId: CLASS_ID.register, version: 0, obis, role: 'register', attributes: attrs([1, 2, 3], 'reading'), methods: [] }),
  ),
  profile(OBIS.billingPeriodValues, 'billing'),
  profile(OBIS.loadProfile, 'load-profile'),
  profile(OBIS.standardEventLog, 'event-log'),
];

const BY_OBIS = new Map<string, ObjectDef>(OBJECT_TABLE.map((d) => [d.obis, d]));

export function findObject(obis: string): ObjectDef | undefined {
  return BY_OBIS.get(obis);
}

/** object_list as a client at `level` sees it: access rights are what that association may do. */
export function objectListFor(level: AccessLevel): ObjectListEntry[] {
  return OBJECT_TABLE.map((d) => ({
    classId: d.classId,
    version: d.version,
    obis: d.obis,
    accessRights: {
      attributes: d.attributes.map((a) => {
        const r = a.read !== undefined && allows(level, a.read);
        const w = a.write !== undefined && allows(level, a.write);
        const access = r && w ? ATTRIBUTE_ACCESS.readAndWrite : r ? ATTRIBUTE_ACCESS.readOnly : w ? ATTRIBUTE_ACCESS.writeOnly : ATTRIBUTE_ACCESS.noAccess;
        return { id: a.id, access, selectors: a.selectors && r ? [...a.selectors] : undefined };
      }),
      methods: d.methods.map((m) => ({ id: m.id, access: allows(level, m.level) ? METHOD_ACCESS.access : METHOD_ACCESS.noAccess })),
    },
  }));
}
