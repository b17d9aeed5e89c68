import { asArray, asInteger, asStructure } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { obisFromData, obisToData } from './capture-object.js';
import type { Obis } from './obis.js';

/**
 * Association LN attribute 2, object_list (IEC 62056-6-2, class 15): array of object_list_element
 *   structure{ long-unsigned class_id, unsigned version, octet-string logical_name, access_rights }
 *   access_rights = structure{ array of attribute_access_item, array of method_access_item }
 *   attribute_access_item = structure{ integer attribute_id, enum access_mode, access_selectors }
 *     access_selectors = null-data | array of integer
 *   method_access_item = structure{ integer method_id, method access_mode }
 * The method access_mode is boolean in Association LN version 0 and enum from version 1; we read both
 * as numbers (false/true → 0/1) and write enum unless asked for the version-0 form.
 */
export interface AttributeAccess {
  id: number;
  access: number;
  /** Selective-access selectors the attribute supports; undefined when the meter sent null-data. */
  selectors?: number[] | undefined;
}

export interface MethodAccess {
  id: number;
  access: number;
}

export interface ObjectListEntry {
  classId: number;
  version: number;
  obis: Obis;
  accessRights: { attributes: AttributeAccess[]; methods: MethodAccess[] };
}

/** attribute access_mode values (Association LN versions 0..2). */
export const ATTRIBUTE_ACCESS = {
  noAccess: 0,
  readOnly: 1,
  writeOnly: 2,
  readAndWrite: 3,
  authenticatedReadOnly: 4,
  authenticatedWriteOnly: 5,
  authenticatedReadAndWrite: 6,
} as const;

/** method access_mode values (Association LN versions 1..2; version 0 has only false/true). */
export const METHOD_ACCESS = { noAccess: 0, access: 1, authenticatedAccess: 2 } as const;

/** Whether an attribute access_mode (versions 0..2) allows GET. */
export function isReadable(access: number): boolean {
  return access === 1 || access === 3 || access === 4 || access === 6;
}

/** Whether an attribute access_mode (versions 0..2) allows SET. */
export function isWritable(access: number): boolean {
  return access === 2 || access === 3 || access === 5 || access === 6;
}

function num(d: DlmsData): number {
  return Number(asInteger(d));
}

function decodeAttributeAccess(d: DlmsData): AttributeAccess {
  const [id, access, selectors] = asStructure(d, 3) as [DlmsData, DlmsData, DlmsData];
  return {
    id: num(id),
    access: num(access),
    selectors: selectors.type === 'null-data' ? undefined : asArray(selectors).map(num),
  };
}

function decodeMethodAccess(d: DlmsData): MethodAccess {
  const [id, access] = asStructure(d, 2) as [DlmsData, DlmsData];
  return { id: num(id), access: access.type === 'boolean' ? (access.value ? 1 : 0) : num(access) };
}

export function decodeObjectListEntry(d: DlmsData): ObjectListEntry {
  const [classId, version, ln, rights] = asStructure(d, 4) as [DlmsData, DlmsData, DlmsData, DlmsData];
  const [attributes, methods] = asStructure(rights, 2) as [DlmsData, DlmsData];
  return {
    classId: num(classId),
    version: num(version),
    obis: obisFromData(ln),
    accessRights: { attributes: asArray(attributes).map(decodeAttributeAccess), methods: asArray(methods).map(decodeMethodAccess) },
  };
}

export function decodeObjectList(d: DlmsData): ObjectListEntry[] {
  return asArray(d).map((e, i) => {
    try {
      return decodeObjectListEntry(e);
    } catch (err) {
      throw err instanceof DlmsError ? err.withContext({ objectListEntry: i }) : err;
    }
  });
}

export interface ObjectListEncoding {
  /** Write method access_mode as boolean (Association LN version 0). Default: enum. */
  methodAccessAsBoolean?: boolean;
}

export function encodeObjectListEntry(e: ObjectListEntry, opts: ObjectListEncoding = {}): DlmsData {
  const attributes: DlmsData[] = e.accessRights.attributes.map((a) => ({
    type: 'structure',
    value: [
      { type: 'integer', value: a.id },
      { type: 'enum', value: a.access },
      a.selectors === undefined ? { type: 'null-data' } : { type: 'array', value: a.selectors.map((s): DlmsData => ({ type: 'integer', value: s })) },
    ],
  }));
  const methods: DlmsData[] = e.accessRights.methods.map((m) => ({
    type: 'structure',
    value: [{ type: 'integer', value: m.id }, opts.methodAccessAsBoolean ? { type: 'boolean', value: m.access !== 0 } : { type: 'enum', value: m.access }],
  }));
  return {
    type: 'structure',
    value: [
      { type: 'long-unsigned', value: e.classId },
      { type: 'unsigned', value: e.version },
      obisToData(e.obis),
      {
        type: 'structure',
        value: [
          { type: 'array', value: attributes },
          { type: 'array', value: methods },
        ],
      },
    ],
  };
}

export function encodeObjectList(list: readonly ObjectListEntry[], opts: ObjectListEncoding = {}): DlmsData {
  return { type: 'array', value: list.map((e) => encodeObjectListEntry(e, opts)) };
}
