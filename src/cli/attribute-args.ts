import { CLASS_ID, parseRef, type AttributeRef } from '../dlms/cosem/classes.js';
import { obisGroups, parseObis, type Obis } from '../dlms/cosem/obis.js';
import { UsageError } from '../shared/command-line.js';

/**
 * The interface class a technician most likely means for an OBIS code, so that `chiso read 1.0.1.8.0.255`
 * works without knowing class ids. Anything else can be given in full as class/obis/attribute.
 */
export function defaultClassFor(obis: Obis): number {
  const [a, , c, d] = obisGroups(obis);
  if (obis === '0.0.1.0.0.255') return CLASS_ID.clock;
  if (c === 99 || (a === 0 && c === 98)) return CLASS_ID.profileGeneric;
  if (a === 0 && c === 40) return CLASS_ID.associationLN;
  if (a === 0 && c === 41) return CLASS_ID.sapAssignment;
  if (a !== 0 && (d === 8 || d === 9 || d === 7 || d === 29)) return CLASS_ID.register;
  if (a !== 0 && (d === 4 || d === 5 || d === 6)) return CLASS_ID.demandRegister;
  return CLASS_ID.data;
}

/** "1.0.1.8.0.255", "1-0:1.8.0*255:3" or "3/1.0.1.8.0.255/2". */
export function parseAttributeArg(text: string): AttributeRef {
  try {
    if (text.includes('/')) return parseRef(text);
    const m = /^(.*?)(?::(\d{1,3}))?$/.exec(text);
    // "1-0:1.8.0*255:2": the last ':n' after a full OBIS is the attribute.
    let obisText = m?.[1] ?? text;
    let attribute = m?.[2] !== undefined ? Number(m[2]) : 2;
    if (m?.[2] !== undefined && !/[.*]/.test(obisText.split(':').pop() ?? '')) {
      obisText = text;
      attribute = 2;
    }
    const obis = parseObis(obisText);
    return { classId: defaultClassFor(obis), obis, attribute };
  } catch (e) {
    throw new UsageError(`"${text}" is not an attribute: ${(e as Error).message}. Use OBIS[:attr] or class/obis/attr`);
  }
}
