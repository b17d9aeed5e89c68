import type { z } from 'zod';
import { describeFound, formatPath, valueAt, type ValuePath } from './describe.js';
import type { ConfigProblem } from './errors.js';

/**
 * zod issues → `found X, expected Y` problems. The schemas carry their own "expected" texts; this covers
 * what they cannot say themselves: unknown keys (with the nearest known key, since a typo is the usual
 * cause), bad record keys, unions, and zod's generic issues for anything a schema left unphrased.
 */

type Issue = z.core.$ZodIssue;

/** Per-parse error map: phrases zod's built-in issues the way our own texts are phrased. */
export function expectedText(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_TEXT[issue.expected] ?? `a ${issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${String(issue.minimum)} item(s)` : `at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${String(issue.maximum)} item(s)` : `at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

const TYPE_TEXT: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'an empty value',
};

export function issuesToProblems(issues: readonly Issue[], input: unknown, schema: z.ZodType, prefix: ValuePath = []): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) out.push(...issueToProblems(issue, input, schema, [...prefix, ...issue.path]));
  return out;
}

function issueToProblems(issue: Issue, input: unknown, schema: z.ZodType, path: ValuePath): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeysAt(schema, path);
    return issue.keys.map((key) => ({
      path: formatPath([...path, key]),
      found: 'an unknown key',
      expected: unknownKeyHint(key, known),
    }));
  }
  if (issue.code === 'invalid_key') {
    const key = path[path.length - 1];
    return [{ path: formatPath(path), found: `the name ${JSON.stringify(String(key))}`, expected: issue.issues[0]?.message ?? issue.message }];
  }
  if (issue.code === 'invalid_union') {
    // A mapping given where "false or a mapping" is allowed: report what is wrong inside the mapping.
    const value = valueAt(input, path);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const wrongKind = (e: Issue) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value');
      const branch = issue.errors.find((errs) => errs.length > 0 && !errs.every(wrongKind));
      if (branch) return branch.flatMap((e) => issueToProblems(e, input, schema, [...path, ...e.path]));
    }
  }
  return [{ path: formatPath(path), found: describeFound(valueAt(input, path), path), expected: issue.message }];
}

function unknownKeyHint(key: string, known: readonly string[] | undefined): string {
  if (known === undefined || known.length === 0) return 'no such key';
  const near = nearest(key, known);
  if (near !== undefined) return `${near} (check the spelling)`;
  return `one of the keys ${known.join(', ')}`;
}

/** The closest known key within a small edit distance (typos, wrong case), if any. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/** Optimal string alignment distance: a swapped pair of letters (`prot`) counts as one edit, like a typo. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The keys an object schema accepts at `path`, found by walking the schema alongside the value. */
export function objectKeysAt(schema: z.ZodType, path: ValuePath): string[] | undefined {
  let s: unknown = schema;
  for (const key of path) {
    s = unwrap(s);
    const def = defOf(s);
    if (def?.type === 'object') s = (def.shape as Record<string, unknown>)[String(key)];
    else if (def?.type === 'array') s = def.element;
    else if (def?.type === 'record') s = def.valueType;
    else if (def?.type === 'union') s = (def.options as unknown[]).find((o) => defOf(unwrap(o))?.type === 'object');
    else return undefined;
  }
  s = unwrap(s);
  const def = defOf(s);
  if (def?.type === 'union') {
    const obj = (def.options as unknown[]).map(unwrap).find((o) => defOf(o)?.type === 'object');
    return obj === undefined ? undefined : Object.keys(defOf(obj)?.shape as object);
  }
  return def?.type === 'object' ? Object.keys(def.shape as object) : undefined;
}

type Def = { type: string; [k: string]: unknown };

function defOf(s: unknown): Def | undefined {
  return (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Through optional / default / prefault / nullable / pipe wrappers to the schema that shapes the value. */
function unwrap(s: unknown): unknown {
  for (let i = 0; i < 16; i++) {
    const def = defOf(s);
    if (def === undefined) return s;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return s;
  }
  return s;
}
