import { describe, expect, it } from 'vitest';
import { ChisoError } from '../shared/errors.js';
import { isRetryable, isTransportError, TransportError } from './errors.js';
import { describeSerialOpenError } from './serial.js';

describe('serial open errors', () => {
  const cases: [string, string, string][] = [
    ['Error: No such file or directory, cannot open /dev/ttyUSB0', 'not-found', 'cannot open /dev/ttyUSB0: no such device — is the adapter plugged in, and is the path right (see /dev/serial/by-id/)?'],
    ['Error: Permission denied, cannot open /dev/ttyUSB0', 'permission', 'cannot open /dev/ttyUSB0: permission denied — is the service user in the dialout group?'],
    ['Error Resource temporarily unavailable Cannot lock port', 'busy', 'cannot open /dev/ttyUSB0: the port is in use by another process (another poller, ModemManager, a terminal program?)'],
    ['Error: Inappropriate ioctl for device setting custom baud rate of 9600', 'not-a-port', 'cannot open /dev/ttyUSB0: this is not a serial port'],
    ['Error: Input/output error', 'other', 'cannot open /dev/ttyUSB0: Error: Input/output error'],
  ];
  for (const [binding, reason, message] of cases) {
    it(`maps "${binding}" to ${reason}`, () => {
      const cause = new Error(binding);
      const error = describeSerialOpenError('/dev/ttyUSB0', cause);
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toBeInstanceOf(ChisoError);
      expect(error.code).toBe('TRANSPORT_OPEN_FAILED');
      expect(error.message).toBe(message);
      expect(error.context).toEqual({ link: 'serial /dev/ttyUSB0', path: '/dev/ttyUSB0', reason });
      expect(error.cause).toBe(cause);
    });
  }
});

describe('isRetryable', () => {
  const open = (reason: string) => new TransportError('TRANSPORT_OPEN_FAILED', 'x', { context: { reason } });
  it('retries what may recover by itself and nothing else', () => {
    expect(isRetryable(open('refused'))).toBe(true);
    expect(isRetryable(open('busy'))).toBe(true);
    expect(isRetryable(open('unreachable'))).toBe(true);
    expect(isRetryable(open('not-found'))).toBe(false);
    expect(isRetryable(open('permission'))).toBe(false);
    expect(isRetryable(open('not-a-port'))).toBe(false);
    expect(isRetryable(new TransportError('TRANSPORT_CONNECT_TIMEOUT', 'x'))).toBe(true);
    expect(isRetryable(new TransportError('TRANSPORT_DISCONNECTED', 'x'))).toBe(true);
    expect(isRetryable(new TransportError('TRANSPORT_PEER_CLOSED', 'x'))).toBe(true);
    expect(isRetryable(new TransportError('TRANSPORT_CONFIG', 'x'))).toBe(false);
    expect(isRetryable(new TransportError('TRANSPORT_NOT_OPEN', 'x'))).toBe(false);
    expect(isRetryable(new Error('ECONNREFUSED'))).toBe(false);
    expect(isTransportError(open('refused'), 'TRANSPORT_OPEN_FAILED')).toBe(true);
    expect(isTransportError(open('refused'), 'TRANSPORT_CONFIG')).toBe(false);
  });
});
