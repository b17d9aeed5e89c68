/**
 * Which failed polls say "the meter is unreachable" and which say "the meter answered, but no". Only the
 * first kind counts towards offline and bus silence: a refused password proves the meter, its wiring and
 * the converter work, and sending a technician to "fix the link" would waste the trip. The second kind is
 * a configuration problem (password, client SAP, model profile) for the office to fix.
 */
export type FailureClass = 'unreachable' | 'answered';

/** Client MeterError codes for which the meter did answer (src/client/errors.ts). */
const ANSWERED = new Set([
  'METER_AUTH_FAILED',
  'METER_ASSOCIATION_REJECTED',
  'METER_LINK_REFUSED',
  'METER_OBJECT_UNDEFINED',
  'METER_ACCESS_DENIED',
  'METER_DATA_ACCESS',
  'METER_SERVICE_REFUSED',
  'METER_PROTOCOL',
]);

/**
 * METER_NO_ANSWER, METER_LINK_FAILED, METER_CORRUPT (garbage on the line: noise, swapped A/B, wrong baud),
 * raw transport/client codes and any code we do not know are "unreachable": no usable answer is no data
 * for reading day, and an unknown code must not hide an outage.
 */
export function classifyFailure(code: string): FailureClass {
  return ANSWERED.has(code) ? 'answered' : 'unreachable';
}
