import type { z } from 'zod';
import { formatPath, type ValuePath } from './describe.js';
import type { ConfigProblem } from './errors.js';
import { resolveFrom, type ConfigFiles } from './file-refs.js';
import { AggregatorKeysFileSchema, BrokerFileSchema, HttpFileSchema } from './aggregator-schema.js';

/**
 * The files the aggregator's configuration points at, read or checked at load time (relative paths from
 * the config file's folder): a missing certificate or token file stops the start, listed with every other
 * problem, instead of failing at the first TLS handshake hours later. Each section is parsed on its own,
 * so a mistake elsewhere in the file does not hide a missing file here.
 */
export interface AggregatorFileTexts {
  tls?: { cert?: string; key?: string; ca?: string };
  brokerPassword?: string;
  brokerCa?: string;
  adminToken?: string;
}

type Located = ConfigProblem & { valuePath: ValuePath };

export function readAggregatorFiles(
  root: unknown,
  baseDir: string,
  files: ConfigFiles,
  options: { requireKeyFiles: boolean },
): { texts: AggregatorFileTexts; problems: Located[] } {
  const r = (root !== null && typeof root === 'object' ? root : {}) as Record<string, unknown>;
  const problems: Located[] = [];
  const texts: AggregatorFileTexts = {};

  const read = (valuePath: ValuePath, file: string, what: string, secret: boolean): string | undefined => {
    const abs = resolveFrom(baseDir, file);
    let content: string;
    try {
      content = files.readText(abs);
    } catch (e) {
      problems.push({ valuePath, path: formatPath(valuePath), found: `${JSON.stringify(abs)} (${reason(e)})`, expected: `a readable file holding ${what}` });
      return undefined;
    }
    // Editors add a final newline; a secret never ends with one (PEM texts keep theirs).
    const value = secret ? content.replace(/\r?\n$/, '') : content;
    if (value.trim() === '') {
      problems.push({ valuePath, path: formatPath(valuePath), found: `${JSON.stringify(abs)} (empty)`, expected: `a file holding ${what}` });
      return undefined;
    }
    return value;
  };

  const broker = parsed(BrokerFileSchema, r['broker']);
  if (broker?.embedded === true && broker.tls !== undefined) {
    const t = broker.tls;
    const tls: NonNullable<AggregatorFileTexts['tls']> = {};
    const cert = read(['broker', 'tls', 'certFile'], t.certFile, 'the certificate (PEM)', false);
    const key = read(['broker', 'tls', 'keyFile'], t.keyFile, 'the certificate key (PEM)', false);
    const ca = t.caFile === undefined ? undefined : read(['broker', 'tls', 'caFile'], t.caFile, "the CA certificate (PEM) of the gateways' client certificates", false);
    if (cert !== undefined) tls.cert = cert;
    if (key !== undefined) tls.key = key;
    if (ca !== undefined) tls.ca = ca;
    texts.tls = tls;
  }
  if (broker?.embedded === false) {
    if (broker.passwordFile !== undefined) {
      const v = read(['broker', 'passwordFile'], broker.passwordFile, 'the password', true);
      if (v !== undefined) texts.brokerPassword = v;
    }
    if (broker.caFile !== undefined) {
      const v = read(['broker', 'caFile'], broker.caFile, 'a CA certificate (PEM)', false);
      if (v !== undefined) texts.brokerCa = v;
    }
  }

  const http = parsed(HttpFileSchema, r['http'] ?? {});
  if (http?.adminTokenFile !== undefined) {
    const v = read(['http', 'adminTokenFile'], http.adminTokenFile, 'the admin token', true);
    if (v !== undefined && v.length < 16) {
      problems.push({ valuePath: ['http', 'adminTokenFile'], path: 'http.adminTokenFile', found: `a token of ${v.length} characters`, expected: 'an admin token of 16 to 256 characters' });
    } else if (v !== undefined) texts.adminToken = v;
  }

  const keys = parsed(AggregatorKeysFileSchema, r['keys']);
  if (options.requireKeyFiles && keys !== undefined && !keys.generate) {
    const abs = resolveFrom(baseDir, keys.privateKeyFile);
    if (!files.isFile(abs)) {
      problems.push({
        valuePath: ['keys', 'privateKeyFile'],
        path: 'keys.privateKeyFile',
        found: `${JSON.stringify(abs)} (no such file)`,
        expected: 'the aggregator private key file (PEM; make one with `openssl genpkey -algorithm ed25519`, or set keys.generate: true)',
      });
    }
  }
  return { texts, problems };
}

function parsed<T>(schema: z.ZodType<T>, v: unknown): T | undefined {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a folder';
  return typeof code === 'string' ? code : String((e as Error).message ?? e);
}
