/**
 * How a problem names its place and the value it found, for a technician reading the message next to the
 * file: `meters[3].hdlcAddress.physical`, `found 20000`, `found "DT99"`, `found nothing`.
 */
export type ValuePath = readonly PropertyKey[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: ValuePath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const k = String(key);
      out += PLAIN_KEY.test(k) ? (out === '' ? k : `.${k}`) : `[${JSON.stringify(k)}]`;
    }
  }
  return out;
}

export function valueAt(root: unknown, path: ValuePath): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Passwords are never echoed back, not even in an error message that ends up in a log. */
export function isSecretPath(path: ValuePath): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && /password$/i.test(last) && !/file$/i.test(last);
}

const MAX_TEXT = 60;

export function describeFound(value: unknown, path: ValuePath = []): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path) && value !== null) return 'a hidden value';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const text = value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
    return JSON.stringify(text);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
