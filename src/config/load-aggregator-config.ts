import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { ValuePath } from './describe.js';
import { substituteEnv, type Env } from './env-substitution.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { readConfigFile, nodeConfigFiles, resolveFrom, type ConfigFiles } from './file-refs.js';
import type { AggregatorConfig } from './aggregator-config.js';
import { readAggregatorFiles, type AggregatorFileTexts } from './aggregator-files.js';
import { aggregatorFileSchema, EmbeddedBrokerFileSchema, ExternalBrokerFileSchema, type AggregatorFile } from './aggregator-schema.js';
import { parseConfigText } from './source-text.js';
import { expectedText, issuesToProblems } from './zod-problems.js';

export interface LoadAggregatorOptions<C extends z.ZodType> {
  /**
   * The calendar section's schema (src/aggregator/calendar's CalendarSchema). Passed in because src/config
   * may not import the aggregator; required so that no caller skips validating it by accident.
   */
  calendarSchema: C;
  /** Variables for `${NAME}` substitution; default process.env. */
  env?: Env;
  /** File access for certificate, password and key files; default the real file system. */
  files?: ConfigFiles;
  /** Whether the aggregator key must exist now (default true; `chiso enrol-token` does not need it). */
  requireKeyFiles?: boolean;
}

/**
 * Reads and validates the aggregator's configuration file. Refuses it with a ConfigError listing every
 * problem (CONFIG_UNREADABLE, CONFIG_PARSE or CONFIG_INVALID) as `file: path: found …, expected … (line)`.
 */
export function loadAggregatorConfig<C extends z.ZodType>(path: string, options: LoadAggregatorOptions<C>): AggregatorConfig<z.output<C>> {
  return parseAggregatorConfig(readConfigFile(path, options.files ?? nodeConfigFiles), path, options);
}

/** Validates configuration text; `fileName` picks the format, names the file, and anchors relative paths. */
export function parseAggregatorConfig<C extends z.ZodType>(text: string, fileName: string, options: LoadAggregatorOptions<C>): AggregatorConfig<z.output<C>> {
  const source = resolve(fileName);
  const baseDir = dirname(source);
  const parsedText = parseConfigText(text, fileName);
  const substituted = substituteEnv(parsedText.value, options.env ?? process.env);
  const problems: (ConfigProblem & { valuePath?: ValuePath })[] = [...substituted.problems];
  const unresolved = new Set(substituted.problems.map((p) => p.path));

  const schema = aggregatorFileSchema(options.calendarSchema);
  const result = schema.safeParse(substituted.value, { error: (issue) => expectedText(issue) });
  if (!result.success) {
    for (const p of issuesToProblems(result.error.issues, substituted.value, schema)) {
      // Schemas outside src/config (the calendar's) phrase their messages "expected HH:MM".
      if (!unresolved.has(p.path)) problems.push({ ...p, expected: brokerKeyHint(p, substituted.value) ?? p.expected.replace(/^expected /, '') });
    }
  }
  const refs = readAggregatorFiles(substituted.value, baseDir, options.files ?? nodeConfigFiles, { requireKeyFiles: options.requireKeyFiles ?? true });
  problems.push(...refs.problems);

  if (problems.length > 0 || !result.success) {
    const located = problems.map(({ valuePath, ...p }) => {
      const line = parsedText.lineOf(valuePath ?? pathFromText(p.path));
      return line === undefined ? p : { ...p, line };
    });
    throw new ConfigError('CONFIG_INVALID', fileName, located.map((p, i) => ({ p, i })).sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i).map(({ p }) => p));
  }
  return toAggregatorConfig(result.data as AggregatorFile<C>, source, baseDir, refs.texts);
}

/**
 * The shared unknown-key hint looks for keys in the first branch of a union, so a key of the embedded
 * broker written under `embedded: false` would be "corrected" to itself: name the keys that branch takes.
 */
function brokerKeyHint(p: ConfigProblem, root: unknown): string | undefined {
  const m = /^broker\.([A-Za-z0-9_-]+)$/.exec(p.path);
  if (m === null || p.found !== 'an unknown key') return undefined;
  const broker = (root as { broker?: { embedded?: unknown } } | null)?.broker;
  const shape = broker?.embedded === false ? ExternalBrokerFileSchema.shape : EmbeddedBrokerFileSchema.shape;
  if (!p.expected.startsWith(`${m[1]} `)) return undefined;
  return `one of the keys ${Object.keys(shape).join(', ')} (with embedded: ${broker?.embedded === false ? 'false' : 'true'})`;
}

/** `broker.tls.certFile` → ['broker', 'tls', 'certFile'] (formatPath's inverse, for the line lookup). */
function pathFromText(path: string): ValuePath {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return out;
}

function toAggregatorConfig<C extends z.ZodType>(file: AggregatorFile<C>, source: string, baseDir: string, texts: AggregatorFileTexts): AggregatorConfig<z.output<C>> {
  const path = (p: string) => resolveFrom(baseDir, p);
  const b = file.broker;
  const broker: AggregatorConfig['broker'] = b.embedded
    ? {
        embedded: true,
        host: b.host,
        port: b.port,
        ...(b.tls === undefined
          ? {}
          : {
              tls: {
                ...(b.tls.host === undefined ? {} : { host: b.tls.host }),
                port: b.tls.port,
                certFile: path(b.tls.certFile),
                keyFile: path(b.tls.keyFile),
                ...(b.tls.caFile === undefined ? {} : { caFile: path(b.tls.caFile) }),
                cert: texts.tls?.cert ?? '',
                key: texts.tls?.key ?? '',
                ...(texts.tls?.ca === undefined ? {} : { ca: texts.tls.ca }),
              },
            }),
        ...(b.publicUrl === undefined ? {} : { publicUrl: b.publicUrl }),
      }
    : {
        embedded: false,
        url: b.url,
        username: b.username,
        ...(b.password ?? texts.brokerPassword) !== undefined ? { password: (b.password ?? texts.brokerPassword) as string } : {},
        ...(b.caFile === undefined ? {} : { caFile: path(b.caFile) }),
        ...(texts.brokerCa === undefined ? {} : { ca: texts.brokerCa }),
        ...(b.publicUrl === undefined ? {} : { publicUrl: b.publicUrl }),
      };
  const adminToken = file.http.adminToken ?? texts.adminToken;
  return {
    source,
    aggregator: { name: file.aggregator.name },
    broker,
    topicRoot: file.topicRoot,
    dataDir: path(file.dataDir),
    http: {
      host: file.http.host,
      port: file.http.port,
      ...(adminToken === undefined ? {} : { adminToken }),
      maxBodyBytes: file.http.maxBodyBytes,
      ...(file.http.publicUrl === undefined ? {} : { publicUrl: file.http.publicUrl }),
    },
    keys: { privateKeyFile: path(file.keys.privateKeyFile), generate: file.keys.generate },
    enrolment: { tokenTtlHours: file.enrolment.tokenTtlHours },
    calendar: file.calendar as z.output<C>,
    books: {
      ...(file.books.importDir === undefined ? {} : { importDir: path(file.books.importDir) }),
      exportDir: path(file.books.exportDir),
      toleranceHours: file.books.toleranceHours,
      autoExport: file.books.autoExport,
      preCutoffDays: file.books.preCutoffDays,
      ...(file.books.exportWorkers === undefined ? {} : { exportWorkers: file.books.exportWorkers }),
      jobs: { ...file.books.jobs },
    },
    notices: { ...file.notices },
    metrics: file.metrics === false ? false : { host: file.metrics.host, port: file.metrics.port },
    logLevel: file.logLevel,
  };
}
