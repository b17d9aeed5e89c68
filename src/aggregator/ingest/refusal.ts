import { EpochSchema, isWireError, type RefusalReason, type WireErrorCode } from '../../wire/index.js';
import { errorMessage } from '../../shared/errors.js';

/** Wire error codes as ack refusal reasons (README "Ack"); anything unexpected is our failure, not theirs. */
const REASON_BY_CODE: Partial<Record<WireErrorCode, RefusalReason>> = {
  WIRE_MALFORMED: 'malformed',
  WIRE_UNSUPPORTED_VERSION: 'unsupported-version',
  WIRE_UNKNOWN_GATEWAY: 'unknown-gateway',
  WIRE_UNKNOWN_KEY: 'unknown-key',
  WIRE_BAD_SIGNATURE: 'bad-signature',
  WIRE_GATEWAY_MISMATCH: 'gateway-mismatch',
  WIRE_TOO_LARGE: 'too-large',
};

export interface Refusal {
  reason: RefusalReason;
  code: string;
  detail: string;
}

export function refusalOf(error: unknown): Refusal {
  if (isWireError(error)) return { reason: REASON_BY_CODE[error.code] ?? 'malformed', code: error.code, detail: error.message };
  return { reason: 'store-failed', code: (error as { code?: string } | null)?.code ?? 'INTERNAL', detail: errorMessage(error) };
}

export interface UnverifiedRange {
  seqFrom: number;
  seqTo: number;
  epoch: string;
}

/**
 * The range a refused message claims, read without trusting it: seqFrom/seqTo from the envelope header
 * and the epoch from inside the (unverified) payload, since the ack must name an epoch. Only used to word
 * a refusal; undefined when the message is too broken to have one (it then gets no ack, README "Ack").
 */
export function peekRange(bytes: Uint8Array): UnverifiedRange | undefined {
  try {
    const env = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Record<string, unknown>;
    const { seqFrom, seqTo, payload } = env;
    if (!isSeq(seqFrom) || !isSeq(seqTo) || seqTo < seqFrom || typeof payload !== 'string') return undefined;
    const inner = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Record<string, unknown>;
    const epoch = EpochSchema.safeParse(inner['epoch']);
    return epoch.success ? { seqFrom, seqTo, epoch: epoch.data } : undefined;
  } catch {
    return undefined;
  }
}

function isSeq(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}
