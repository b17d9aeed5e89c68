import type { ByteWriter } from '../../shared/bytes.js';
import type { Cursor } from '../axdr/cursor.js';
import { writeData } from '../axdr/encode.js';
import type { DlmsData } from '../axdr/types.js';
import { obisFromBytes, obisToBytes, type Obis } from '../cosem/obis.js';
import { checkUint, readData, readPresent } from './fields.js';

/**
 * Logical-name addressing of attributes and methods (IEC 62056-5-3 §8, Cosem-Attribute-Descriptor and
 * Cosem-Method-Descriptor): class-id Unsigned16, instance-id = the 6 OBIS bytes, attribute/method id.
 * The standard types the ids as Integer8, but no class defines a negative id, so we keep the byte as
 * 0..255: lossless, and no sign surprises for vendor-specific ids above 127.
 */
export interface AttributeDescriptor {
  readonly classId: number;
  readonly instanceId: Obis;
  readonly attributeId: number;
}

export interface MethodDescriptor {
  readonly classId: number;
  readonly instanceId: Obis;
  readonly methodId: number;
}

/** Selective-Access-Descriptor: access-selector and its parameters (e.g. a profile's range descriptor). */
export interface SelectiveAccess {
  readonly selector: number;
  readonly parameters: DlmsData;
}

export function readAttributeDescriptor(c: Cursor): AttributeDescriptor {
  const classId = c.u16('class-id');
  const instanceId = obisFromBytes(c.view(6, 'instance-id'));
  const attributeId = c.u8('attribute-id');
  return { classId, instanceId, attributeId };
}

export function writeAttributeDescriptor(w: ByteWriter, d: AttributeDescriptor): void {
  w.u16(checkUint(d.classId, 16, 'class-id'));
  w.bytes(obisToBytes(d.instanceId));
  w.u8(checkUint(d.attributeId, 8, 'attribute-id'));
}

export function readMethodDescriptor(c: Cursor): MethodDescriptor {
  const classId = c.u16('class-id');
  const instanceId = obisFromBytes(c.view(6, 'instance-id'));
  const methodId = c.u8('method-id');
  return { classId, instanceId, methodId };
}

export function writeMethodDescriptor(w: ByteWriter, d: MethodDescriptor): void {
  w.u16(checkUint(d.classId, 16, 'class-id'));
  w.bytes(obisToBytes(d.instanceId));
  w.u8(checkUint(d.methodId, 8, 'method-id'));
}

/** access-selection OPTIONAL: 00, or 01 selector parameters. */
export function readOptionalAccess(c: Cursor): SelectiveAccess | undefined {
  if (!readPresent(c, 'access-selection')) return undefined;
  const selector = c.u8('access-selector');
  const parameters = readData(c, 'access-parameters');
  return { selector, parameters };
}

export function writeOptionalAccess(w: ByteWriter, a: SelectiveAccess | undefined): void {
  if (a === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1).u8(checkUint(a.selector, 8, 'access-selector'));
  writeData(w, a.parameters);
}

/** "3/1.0.1.8.0.255/2": the form used in logs and error messages. */
export function formatAttribute(d: AttributeDescriptor): string {
  return `${d.classId}/${d.instanceId}/${d.attributeId}`;
}

export function formatMethod(d: MethodDescriptor): string {
  return `${d.classId}/${d.instanceId}/m${d.methodId}`;
}
