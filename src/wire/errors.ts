import { ChisoError, type ErrorContext } from '../shared/errors.js';

/**
 * Every failure the wire layer reports. Codes are stable: the aggregator turns them into ack refusal
 * reasons and metrics, the gateway into alarms; nobody matches message text. The README's error table
 * lists the same codes (a test keeps the two in sync).
 */
export const WIRE_ERROR_CODES = [
  'WIRE_MALFORMED', // not JSON, not base64, or a schema failure (context.path names the first problem)
  'WIRE_UNSUPPORTED_VERSION', // a message whose `v` this build does not speak
  'WIRE_UNKNOWN_GATEWAY', // the signer's gateway is not registered
  'WIRE_UNKNOWN_KEY', // the gateway (or aggregator) is known, the key id is not
  'WIRE_BAD_SIGNATURE', // Ed25519 verification failed: tampered bytes or wrong key
  'WIRE_GATEWAY_MISMATCH', // topic, envelope and payload disagree on the gateway id
  'WIRE_TOO_LARGE', // over the byte or item limit, refused before parsing
  'WIRE_EXPIRED', // a command past its expiresAt
  'WIRE_BAD_TOPIC', // a topic or topic root that is not ours or not valid MQTT
  'WIRE_BAD_KEY', // a key that is not Ed25519, unreadable PEM, or a key id that does not match the key
] as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export class WireError extends ChisoError<WireErrorCode> {
  constructor(code: WireErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isWireError(e: unknown, code?: WireErrorCode): e is WireError {
  return e instanceof WireError && (code === undefined || e.code === code);
}
