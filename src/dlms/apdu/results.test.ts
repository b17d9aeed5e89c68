import { describe, expect, it } from 'vitest';
import { parseObis } from '../cosem/obis.js';
import { actionResultError, actionResultName } from './action-result.js';
import { confirmedServiceErrorError, describeConfirmedServiceError } from './confirmed-service-error.js';
import { DATA_ACCESS_RESULTS, dataAccessError, dataAccessResultName } from './data-access-result.js';
import { exceptionError } from './exception.js';

describe('Data-Access-Result', () => {
  it('names every value of the standard', () => {
    expect(Object.keys(DATA_ACCESS_RESULTS)).toHaveLength(16);
    expect(dataAccessResultName(3)).toBe('read-write-denied');
    expect(dataAccessResultName(19)).toBe('data-block-number-invalid');
    expect(dataAccessResultName(250)).toBe('other-reason');
    expect(dataAccessResultName(7)).toBe('unknown-7');
  });

  it('makes a DLMS_DATA_ACCESS error naming the result and the attribute', () => {
    const e = dataAccessError(3, { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 });
    expect(e.code).toBe('DLMS_DATA_ACCESS');
    expect(e.message).toBe('read-write-denied (3) for 3/1.0.1.8.0.255/2');
    expect(e.context).toEqual({ result: 'read-write-denied', resultCode: 3, target: '3/1.0.1.8.0.255/2' });
    expect(dataAccessError(4).message).toBe('object-undefined (4)');
  });
});

describe('Action-Result', () => {
  it('makes a DLMS_ACTION_RESULT error naming the method', () => {
    expect(actionResultName(15)).toBe('long-action-aborted');
    const e = actionResultError(11, { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 });
    expect(e.code).toBe('DLMS_ACTION_RESULT');
    expect(e.message).toBe('object-unavailable (11) for 70/0.0.96.3.10.255/m1');
    expect(e.context.result).toBe('object-unavailable');
  });
});

describe('ExceptionResponse and ConfirmedServiceError as errors', () => {
  it('names state and service errors, and the expected invocation counter', () => {
    const e = exceptionError({ type: 'exception-response', stateError: 1, serviceError: 6, invocationCounter: 42 });
    expect(e.code).toBe('DLMS_EXCEPTION');
    expect(e.message).toBe('exception response: service-not-allowed (1) / invocation-counter-error (6), expected invocation counter 42');
  });

  it('names a ConfirmedServiceError outside the initiate', () => {
    const cse = { type: 'confirmed-service-error', service: 5, errorKind: 5, error: 2 } as const;
    expect(describeConfirmedServiceError(cse)).toBe('access: object-access-violated (in read)');
    expect(confirmedServiceErrorError(cse).code).toBe('DLMS_CONFIRMED_SERVICE_ERROR');
    expect(describeConfirmedServiceError({ type: 'confirmed-service-error', service: 1, errorKind: 42, error: 9 })).toBe('kind-42: value-9');
  });
});
