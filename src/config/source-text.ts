import { extname } from 'node:path';
import { isCollection, LineCounter, parseDocument, type Document } from 'yaml';
import type { ValuePath } from './describe.js';
import { ConfigError, type ConfigProblem } from './errors.js';

/**
 * Configuration text → plain data, picked by the file's extension, plus a way back from a value path to
 * the line it came from (so a problem in meter 137 of 200 says where to look). Syntax errors are refused
 * with CONFIG_PARSE, each with its line and column.
 */
export interface ParsedText {
  value: unknown;
  /** 1-based line of the value at `path`, or of its nearest parent present in the file. */
  lineOf(path: ValuePath): number | undefined;
}

export type TextFormat = 'yaml' | 'json';

export function formatOf(fileName: string): TextFormat | undefined {
  const ext = extname(fileName).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return undefined;
}

export function parseConfigText(text: string, fileName: string): ParsedText {
  const format = formatOf(fileName);
  if (format === undefined) {
    throw new ConfigError('CONFIG_UNREADABLE', fileName, [
      { path: '', found: `the extension ${JSON.stringify(extname(fileName))}`, expected: 'a .yaml, .yml or .json file' },
    ]);
  }
  return format === 'yaml' ? parseYaml(text, fileName) : parseJson(text, fileName);
}

function locate(text: string): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  // uniqueKeys (the default) makes a key given twice an error instead of the last one silently winning.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  return { doc, lines };
}

function lineFinder(doc: Document.Parsed, lines: LineCounter): (path: ValuePath) => number | undefined {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) {
        // A missing key is reported at its parent mapping; a mapping's own line is where it starts.
        return lines.linePos(range[0]).line;
      }
      if (n > 0 && node !== undefined && !isCollection(node)) break;
    }
    return undefined;
  };
}

function parseYaml(text: string, fileName: string): ParsedText {
  const { doc, lines } = locate(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_PARSE',
      fileName,
      doc.errors.map((e) => ({
        path: '',
        found: `a syntax error: ${firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        expected: 'valid YAML',
        line: e.linePos?.[0].line ?? 1,
        column: e.linePos?.[0].col ?? 1,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Unresolved aliases and alias bombs surface here, not as parse errors.
    throw new ConfigError('CONFIG_PARSE', fileName, [{ path: '', found: `YAML that cannot be resolved: ${firstLine(String((e as Error).message))}`, expected: 'valid YAML' }], { cause: e });
  }
  return { value, lineOf: lineFinder(doc, lines) };
}

function parseJson(text: string, fileName: string): ParsedText {
  const { doc, lines } = locate(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('CONFIG_PARSE', fileName, [jsonSyntaxProblem(text, (e as Error).message, doc)], { cause: e });
  }
  // JSON is YAML 1.2, so the YAML parser can still place values on lines when it accepts the text.
  return { value, lineOf: doc.errors.length === 0 ? lineFinder(doc, lines) : () => undefined };
}

function jsonSyntaxProblem(text: string, message: string, doc: Document.Parsed): ConfigProblem {
  const at = /at position (\d+)/.exec(message);
  let line = 1;
  let column = 1;
  if (at) {
    const before = text.slice(0, Number(at[1]));
    line = before.split('\n').length;
    column = before.length - before.lastIndexOf('\n');
  } else if (doc.errors[0]?.linePos) {
    line = doc.errors[0].linePos[0].line;
    column = doc.errors[0].linePos[0].col;
  } else if (/end of JSON input/.test(message)) {
    line = text.split('\n').length;
    column = (text.split('\n').pop() ?? '').length + 1;
  }
  // V8 echoes the whole text in some messages (`"…" is not valid JSON`): keep only the reason.
  const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '');
  return { path: '', found: `a syntax error: ${reason}`, expected: 'valid JSON', line, column };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
