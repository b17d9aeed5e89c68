import { DlmsError } from '../errors.js';
import { formatAttribute, type AttributeDescriptor } from './descriptors.js';

/**
 * Data-Access-Result (IEC 62056-5-3 §8, Green Book): the meter's answer for one attribute of a GET or
 * SET. APDUs carry the numeric code (a meter may send a value that is not in the list: it must still be
 * decodable and reportable), and these names are for messages and error contexts.
 */
export const DATA_ACCESS_RESULTS = {
  success: 0,
  'hardware-fault': 1,
  'temporary-failure': 2,
  'read-write-denied': 3,
  'object-undefined': 4,
  'object-class-inconsistent': 9,
  'object-unavailable': 11,
  'type-unmatched': 12,
  'scope-of-access-violated': 13,
  'data-block-unavailable': 14,
  'long-get-aborted': 15,
  'no-long-get-in-progress': 16,
  'long-set-aborted': 17,
  'no-long-set-in-progress': 18,
  'data-block-number-invalid': 19,
  'other-reason': 250,
} as const;

export type DataAccessResultName = keyof typeof DATA_ACCESS_RESULTS;
/** The enum value as sent (0..255). */
export type DataAccessResult = number;

const NAMES = new Map<number, string>(Object.entries(DATA_ACCESS_RESULTS).map(([n, v]) => [v, n]));

/** "read-write-denied", or "unknown-7" for a value the standard does not define. */
export function dataAccessResultName(result: DataAccessResult): string {
  return NAMES.get(result) ?? `unknown-${result}`;
}

/**
 * The DlmsError for a failed attribute access: 'DLMS_DATA_ACCESS', message "read-write-denied (3) for
 * 3/1.0.1.8.0.255/2", context { result: name, resultCode, target }.
 */
export function dataAccessError(result: DataAccessResult, target?: AttributeDescriptor | string): DlmsError {
  const name = dataAccessResultName(result);
  const where = target === undefined ? undefined : typeof target === 'string' ? target : formatAttribute(target);
  return new DlmsError('DLMS_DATA_ACCESS', `${name} (${result})${where === undefined ? '' : ` for ${where}`}`, {
    context: { result: name, resultCode: result, target: where },
  });
}
