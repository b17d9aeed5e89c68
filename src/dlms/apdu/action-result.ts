import { DlmsError } from '../errors.js';
import { formatMethod, type MethodDescriptor } from './descriptors.js';

/** Action-Result (IEC 62056-5-3 §8, Green Book): the meter's answer to an ACTION (method invocation). */
export const ACTION_RESULTS = {
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
  'long-action-aborted': 15,
  'no-long-action-in-progress': 16,
  'other-reason': 250,
} as const;

export type ActionResultName = keyof typeof ACTION_RESULTS;
/** The enum value as sent (0..255). */
export type ActionResult = number;

const NAMES = new Map<number, string>(Object.entries(ACTION_RESULTS).map(([n, v]) => [v, n]));

export function actionResultName(result: ActionResult): string {
  return NAMES.get(result) ?? `unknown-${result}`;
}

/** 'DLMS_ACTION_RESULT', message "object-undefined (4) for 70/0.0.96.3.10.255/m1". */
export function actionResultError(result: ActionResult, target?: MethodDescriptor | string): DlmsError {
  const name = actionResultName(result);
  const where = target === undefined ? undefined : typeof target === 'string' ? target : formatMethod(target);
  return new DlmsError('DLMS_ACTION_RESULT', `${name} (${result})${where === undefined ? '' : ` for ${where}`}`, {
    context: { result: name, resultCode: result, target: where },
  });
}
