import { dirname, resolve } from 'node:path';
import type { ValuePath } from './describe.js';
import { substituteEnv, type Env } from './env-substitution.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { readConfigFile, nodeConfigFiles, readFileRefs, type ConfigFiles } from './file-refs.js';
import { crossCheck, salvageSections } from './gateway-checks.js';
import { toGatewayConfig, type GatewayConfig } from './gateway-config.js';
import { GatewayFileSchema } from './gateway-schema.js';
import { parseConfigText } from './source-text.js';
import { expectedText, issuesToProblems } from './zod-problems.js';

export interface LoadOptions {
  /** Variables for `${NAME}` substitution; default process.env. */
  env?: Env;
  /** File access for password and key files; default the real file system. */
  files?: ConfigFiles;
  /**
   * Whether the key files must exist now (default true). A setup tool that loads the config in order to
   * create the gateway's key pair turns this off.
   */
  requireKeyFiles?: boolean;
}

/**
 * Reads and validates a gateway configuration file. Refuses it with a ConfigError listing every problem
 * (CONFIG_UNREADABLE, CONFIG_PARSE or CONFIG_INVALID): the service never starts half-configured.
 * `path` is also how the file is named in messages, as the technician typed it.
 */
export function loadGatewayConfig(path: string, options: LoadOptions = {}): GatewayConfig {
  return parseGatewayConfig(readConfigFile(path, options.files ?? nodeConfigFiles), path, options);
}

/**
 * Validates configuration text. `fileName` picks the format (.yaml/.yml/.json), names the file in
 * messages, and its folder is where relative paths in the file start.
 */
export function parseGatewayConfig(text: string, fileName: string, options: LoadOptions = {}): GatewayConfig {
  const source = resolve(fileName);
  const baseDir = dirname(source);
  const parsedText = parseConfigText(text, fileName);

  const substituted = substituteEnv(parsedText.value, options.env ?? process.env);
  const problems: (ConfigProblem & { valuePath?: ValuePath })[] = [...substituted.problems];
  // A placeholder left unresolved is reported once, as the missing variable, not again as a bad value.
  const unresolved = new Set(substituted.problems.map((p) => p.path));

  const result = GatewayFileSchema.safeParse(substituted.value, { error: (issue) => expectedText(issue) });
  if (!result.success) {
    for (const p of issuesToProblems(result.error.issues, substituted.value, GatewayFileSchema)) {
      if (!unresolved.has(p.path)) problems.push(p);
    }
  }
  const sections = salvageSections(substituted.value);
  problems.push(...crossCheck(sections));
  const refs = readFileRefs(sections, baseDir, options.files ?? nodeConfigFiles, { requireKeyFiles: options.requireKeyFiles ?? true });
  problems.push(...refs.problems);

  if (problems.length > 0 || !result.success) {
    const located = problems.map(({ valuePath, ...p }) => {
      const line = parsedText.lineOf(valuePath ?? pathFromText(p.path));
      return line === undefined ? p : { ...p, line };
    });
    throw new ConfigError('CONFIG_INVALID', fileName, sortByLine(located));
  }
  return toGatewayConfig(result.data, source, baseDir, refs.secrets);
}

/** `meters[3].hdlcAddress` → ['meters', 3, 'hdlcAddress'] (the inverse of formatPath, for line lookup). */
function pathFromText(path: string): ValuePath {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return out;
}

/** Problems in file order, so the list reads top to bottom alongside the file; stable otherwise. */
function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}
