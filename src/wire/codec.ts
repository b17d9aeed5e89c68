import type { z } from 'zod';
import { WireError } from './errors.js';

/**
 * JSON ⇄ UTF-8 bytes through a zod schema. Senders validate too: a bug at the gateway is cheaper to find
 * there than as a refusal at the aggregator. Every failure is a WireError; nothing else escapes.
 */
export const WIRE_VERSION = 1;

/** Default limit for one MQTT payload; the aggregator's broker should refuse larger packets itself. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** `reads[3].value`, `command.meterId`, `(root)` for the top level. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Validate a value; the first issue's path and message go into the WIRE_MALFORMED error. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  let result: ReturnType<S['safeParse']>;
  try {
    result = schema.safeParse(value) as ReturnType<S['safeParse']>;
  } catch (cause) {
    // zod itself can throw on pathological input (a stack overflow on very deep JSON).
    throw new WireError('WIRE_MALFORMED', `${what}: could not be validated`, { cause, context: { path: '(root)' } });
  }
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  const path = formatPath(issue?.path ?? []);
  throw new WireError('WIRE_MALFORMED', `${what}: ${path}: ${issue?.message ?? 'invalid'}`, {
    context: { path, issues: result.error.issues.length },
  });
}

export function checkSize(length: number, maxBytes: number, what: string): void {
  if (length > maxBytes) {
    throw new WireError('WIRE_TOO_LARGE', `${what}: ${length} bytes, limit ${maxBytes}`, {
      context: { bytes: length, limit: maxBytes },
    });
  }
}

/** Bytes → JSON value (no schema). Refuses invalid UTF-8 rather than decoding it to U+FFFD. */
export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new WireError('WIRE_MALFORMED', `${what}: not valid UTF-8`, { cause, context: { path: '(root)' } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new WireError('WIRE_MALFORMED', `${what}: not JSON (${(cause as Error).message})`, {
      cause,
      context: { path: '(root)' },
    });
  }
}

/**
 * Refuse a version we do not speak before the schema runs, so that a v2 message is reported as such and
 * not as "v: invalid literal". Only a numeric `v` other than ours is a version problem.
 */
export function checkVersion(value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const v = (value as { v?: unknown }).v;
  if (typeof v === 'number' && v !== WIRE_VERSION) {
    throw new WireError('WIRE_UNSUPPORTED_VERSION', `${what}: wire version ${v}, this build speaks ${WIRE_VERSION}`, {
      context: { path: 'v', version: v },
    });
  }
}

export function encodeMessage<S extends z.ZodType>(
  schema: S,
  message: z.input<S>,
  what: string,
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): Uint8Array {
  const valid = validate(schema, message, what);
  const bytes = utf8(JSON.stringify(valid));
  checkSize(bytes.length, maxBytes, what);
  return bytes;
}

export function decodeMessage<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
  what: string,
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): z.output<S> {
  checkSize(bytes.length, maxBytes, what);
  const value = parseJsonBytes(bytes, what);
  checkVersion(value, what);
  return validate(schema, value, what);
}
