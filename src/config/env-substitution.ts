import { describeFound, formatPath, type ValuePath } from './describe.js';
import type { ConfigProblem } from './errors.js';

/**
 * `${NAME}` in string values is replaced by the environment variable NAME, so secrets and per-machine
 * paths stay out of the file (`password: ${CHISO_MQTT_PASSWORD}`). `${NAME:-fallback}` uses the fallback
 * when NAME is unset or empty; `$${` writes a literal `${`. Only values are substituted, never keys, and
 * only in strings: `port: ${PORT}` is therefore text, and refused where a number is expected.
 * An unset variable without a fallback is a problem, not an empty string: an empty password or device
 * path would fail later, far from its cause.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface SubstitutionResult {
  value: unknown;
  problems: (ConfigProblem & { valuePath: ValuePath })[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}|\$\{/g;

export function substituteEnv(value: unknown, env: Env): SubstitutionResult {
  const problems: SubstitutionResult['problems'] = [];
  const walk = (v: unknown, path: ValuePath): unknown => {
    if (typeof v === 'string') return substituteString(v, env, path, problems);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, []), problems };
}

function substituteString(s: string, env: Env, path: ValuePath, problems: SubstitutionResult['problems']): string {
  if (!s.includes('${')) return s;
  return s.replace(PLACEHOLDER, (match, inner: string | undefined) => {
    if (match === '$${') return '${';
    const problem = (expected: string) => {
      problems.push({ valuePath: path, path: formatPath(path), found: describeFound(s, path), expected });
      return match;
    };
    if (inner === undefined) return problem('${NAME} closed with }');
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    if (!NAME.test(name)) return problem(`\${NAME} with a name of letters, digits and _ (found \${${name}})`);
    const set = env[name];
    if (sep >= 0) return set === undefined || set === '' ? inner.slice(sep + 2) : set;
    if (set === undefined) return problem(`the environment variable ${name} to be set`);
    return set;
  });
}
