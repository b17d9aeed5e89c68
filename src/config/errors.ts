import { ChisoError } from '../shared/errors.js';

/**
 * Configuration errors. A bad file is refused as a whole, with every problem found listed at once: a
 * technician in a substation should fix the file in one pass, not restart the service once per typo.
 *
 * - CONFIG_UNREADABLE: the file cannot be read at all (missing, no permission, unknown extension).
 * - CONFIG_PARSE: the text is not YAML / JSON (each syntax error with its line and column).
 * - CONFIG_INVALID: the text parsed, but values are wrong, missing or contradict each other.
 */
export type ConfigErrorCode = 'CONFIG_UNREADABLE' | 'CONFIG_PARSE' | 'CONFIG_INVALID';

/** One thing wrong in the file. `path` is the dotted path into the file (`meters[3].hdlcAddress.physical`). */
export interface ConfigProblem {
  path: string;
  /** What the file holds there, described for a person (`20000`, `"DT99"`, `nothing`). */
  found: string;
  /** What would be accepted there. */
  expected: string;
  /** 1-based line in the file, when the parser could place it. */
  line?: number;
  /** 1-based column, given for syntax errors. */
  column?: number;
}

/** `gateway.yaml: meters[3].hdlcAddress.physical: found 20000, expected a whole number 16..16383 (line 57)`. */
export function formatProblem(file: string, p: ConfigProblem): string {
  if (p.column !== undefined && p.line !== undefined) {
    // Syntax errors have no value path; `file:line:col:` is what editors jump to.
    return `${file}:${p.line}:${p.column}: found ${p.found}, expected ${p.expected}`;
  }
  const where = p.path === '' ? '' : `${p.path}: `;
  const line = p.line === undefined ? '' : ` (line ${p.line})`;
  return `${file}: ${where}found ${p.found}, expected ${p.expected}${line}`;
}

export class ConfigError extends ChisoError<ConfigErrorCode> {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(code: ConfigErrorCode, file: string, problems: readonly ConfigProblem[], options: { cause?: unknown } = {}) {
    super(code, problems.map((p) => formatProblem(file, p)).join('\n'), {
      ...options,
      context: { file, problems: problems.length },
    });
    this.file = file;
    this.problems = problems;
  }
}
