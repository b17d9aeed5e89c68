import { ConfigError } from './errors.js';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatPath, type ValuePath } from './describe.js';
import type { ConfigProblem } from './errors.js';
import type { Sections } from './gateway-checks.js';

/**
 * Files the configuration points at. Relative paths are taken from the config file's folder, not from
 * wherever the service happened to be started (systemd starts it in `/`). Password files are read now,
 * and key files checked now, so a missing one stops the service at start with the others' problems
 * instead of at the first connection hours later.
 */
export interface ConfigFiles {
  /** The file's text; throws (with a Node error code) when it cannot be read. */
  readText(path: string): string;
  /** Whether `path` is an existing regular file. */
  isFile(path: string): boolean;
}

export const nodeConfigFiles: ConfigFiles = {
  readText: (path) => readFileSync(path, 'utf8'),
  isFile: (path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
};

export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export interface Secrets {
  mqttPassword?: string;
  /** clockSync.passwordFile's content: the password of the client that sets clocks. */
  clockSyncPassword?: string;
  /** Meter index → password read from its passwordFile. */
  meterPasswords: Map<number, string>;
}

type Located = ConfigProblem & { valuePath: ValuePath };

export function readFileRefs(s: Sections, baseDir: string, files: ConfigFiles, options: { requireKeyFiles: boolean }): { secrets: Secrets; problems: Located[] } {
  const problems: Located[] = [];
  const secrets: Secrets = { meterPasswords: new Map() };

  const readSecret = (valuePath: ValuePath, file: string): string | undefined => {
    const abs = resolveFrom(baseDir, file);
    let content: string;
    try {
      content = files.readText(abs);
    } catch (e) {
      problems.push({ valuePath, path: formatPath(valuePath), found: `${JSON.stringify(abs)} (${reason(e)})`, expected: 'a readable file holding the password' });
      return undefined;
    }
    // Editors add a final newline; a password never ends with one.
    const value = content.replace(/\r?\n$/, '');
    if (value === '') problems.push({ valuePath, path: formatPath(valuePath), found: `${JSON.stringify(abs)} (empty)`, expected: 'a file holding the password' });
    return value;
  };
  const needFile = (valuePath: ValuePath, file: string, what: string): void => {
    const abs = resolveFrom(baseDir, file);
    if (!files.isFile(abs)) problems.push({ valuePath, path: formatPath(valuePath), found: `${JSON.stringify(abs)} (no such file)`, expected: what });
  };

  if (s.mqtt?.passwordFile !== undefined) {
    const v = readSecret(['mqtt', 'passwordFile'], s.mqtt.passwordFile);
    if (v !== undefined) secrets.mqttPassword = v;
  }
  if (s.mqtt?.caFile !== undefined) needFile(['mqtt', 'caFile'], s.mqtt.caFile, 'a PEM file with the CA certificate');
  if (s.mqtt?.certFile !== undefined) needFile(['mqtt', 'certFile'], s.mqtt.certFile, "a PEM file with this gateway's client certificate");
  if (s.mqtt?.keyFile !== undefined) needFile(['mqtt', 'keyFile'], s.mqtt.keyFile, "a PEM file with the client certificate's private key");
  s.meterAuth.forEach((auth, i) => {
    if (auth?.passwordFile === undefined) return;
    const v = readSecret(['meters', i, 'auth', 'passwordFile'], auth.passwordFile);
    if (v !== undefined) secrets.meterPasswords.set(i, v);
  });
  if (s.clockSync?.passwordFile !== undefined) {
    const v = readSecret(['clockSync', 'passwordFile'], s.clockSync.passwordFile);
    if (v !== undefined) secrets.clockSyncPassword = v;
  }
  if (options.requireKeyFiles && s.keys) {
    needFile(['keys', 'privateKeyFile'], s.keys.privateKeyFile, 'the gateway private key file (PEM)');
    if (s.keys.aggregatorPublicKeyFile !== undefined) {
      needFile(['keys', 'aggregatorPublicKeyFile'], s.keys.aggregatorPublicKeyFile, 'the aggregator public key file (PEM)');
    }
  }
  return { secrets, problems };
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a folder';
  return typeof code === 'string' ? code : String((e as Error).message ?? e);
}

/**
 * The configuration file's text, or CONFIG_UNREADABLE naming the file and why (missing, no permission,
 * a folder): shared by every service's loader.
 */
export function readConfigFile(path: string, files: ConfigFiles): string {
  try {
    return files.readText(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a folder' : String(code ?? e);
    throw new ConfigError('CONFIG_UNREADABLE', path, [{ path: '', found: `nothing readable (${why})`, expected: 'a readable configuration file' }], { cause: e });
  }
}
