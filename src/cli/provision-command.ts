import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { loadGatewayConfig } from '../config/load-gateway-config.js';
import { ChisoError, errorMessage } from '../shared/errors.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { generateKeyPair, isValidGatewayId, isWireError, keyIdOf, loadPublicKey, parseEnrolResponse, type EnrolRequest, type EnrolResponse } from '../wire/index.js';

/**
 * `chiso provision`: what a technician runs on a new gateway. It makes the gateway's key pair, enrols the
 * public key at the aggregator with the operator's one-time token, and writes everything the gateway
 * needs next to a config made from the example: nothing to copy by hand, no secret typed twice.
 *
 * The key is generated in memory and nothing is written before the aggregator accepted it, so a refused or
 * unreachable enrolment leaves the folder as it was.
 */
export type ProvisionErrorCode =
  | 'PROVISION_BAD_ID' // the gateway id is not one (letters, digits, _ and -)
  | 'PROVISION_BAD_URL' // --aggregator is not an http(s) URL
  | 'PROVISION_EXISTS' // a key or config is already there and --force was not given
  | 'PROVISION_BAD_TEMPLATE' // the --from file cannot be read or parsed
  | 'PROVISION_UNREACHABLE' // no answer from the aggregator (address, port, network, firewall)
  | 'PROVISION_TOKEN_UNKNOWN' // the aggregator does not know the token (mistyped?)
  | 'PROVISION_TOKEN_EXPIRED' // the token's time is over: the operator issues a new one
  | 'PROVISION_TOKEN_USED' // the token was already used
  | 'PROVISION_TOKEN_GATEWAY' // the token was issued for another gateway id
  | 'PROVISION_REFUSED' // any other refusal by the aggregator
  | 'PROVISION_BAD_RESPONSE'; // the answer is not a chiso enrolment (wrong URL?)

export class ProvisionError extends ChisoError<ProvisionErrorCode> {}

export interface ProvisionOptions {
  /** The aggregator's HTTP API, e.g. http://10.0.0.5:8080. */
  aggregatorUrl: string;
  token: string;
  gatewayId: string;
  outDir: string;
  /** The config to start from; config/gateway.example.yaml of this installation by default. */
  templateFile?: string;
  /** Replace an existing key and config (a re-enrolment); the existing config is then the template. */
  force?: boolean;
  timeoutMs?: number;
}

export interface ProvisionResult {
  gatewayId: string;
  keyId: string;
  brokerUrl: string;
  files: { config: string; privateKey: string; publicKey: string; aggregatorPublicKey: string; mqttPassword: string };
  /** What the written config still lacks before `chiso gateway` starts (meters, passwords …), one line each. */
  remaining: string[];
}

/** Where things go, relative to the output folder (the config names them relatively, so the folder can move). */
export const PROVISION_LAYOUT = {
  config: 'gateway.yaml',
  privateKey: 'keys/gateway.key',
  publicKey: 'keys/gateway.pub',
  aggregatorPublicKey: 'keys/aggregator.pub',
  mqttPassword: 'secrets/mqtt.pwd',
} as const;

const API_TO_PROVISION: Record<string, ProvisionErrorCode> = {
  API_TOKEN_UNKNOWN: 'PROVISION_TOKEN_UNKNOWN',
  API_TOKEN_EXPIRED: 'PROVISION_TOKEN_EXPIRED',
  API_TOKEN_USED: 'PROVISION_TOKEN_USED',
  API_TOKEN_GATEWAY: 'PROVISION_TOKEN_GATEWAY',
};

const ADVICE: Partial<Record<ProvisionErrorCode, string>> = {
  PROVISION_TOKEN_UNKNOWN: 'check the token for typos, or ask the operator for a new one (chiso enrol-token)',
  PROVISION_TOKEN_EXPIRED: 'ask the operator for a new token (chiso enrol-token)',
  PROVISION_TOKEN_USED: 'each token enrols once; ask the operator for a new one (chiso enrol-token)',
  PROVISION_TOKEN_GATEWAY: 'check --gateway-id, or ask the operator for a token for this gateway',
};

export async function provisionGateway(options: ProvisionOptions, deps: { fetch?: typeof fetch } = {}): Promise<ProvisionResult> {
  const { gatewayId } = options;
  if (!isValidGatewayId(gatewayId)) {
    throw new ProvisionError('PROVISION_BAD_ID', `${JSON.stringify(gatewayId)} is not a gateway id: 1 to 64 letters, digits, _ or -, starting with a letter or digit`);
  }
  const endpoint = enrolEndpoint(options.aggregatorUrl);
  const out = resolve(options.outDir);
  const path = (k: keyof typeof PROVISION_LAYOUT) => join(out, PROVISION_LAYOUT[k]);

  const existing = (['privateKey', 'config'] as const).filter((k) => existsSync(path(k)));
  if (existing.length > 0 && !options.force) {
    throw new ProvisionError('PROVISION_EXISTS', `${existing.map(path).join(' and ')} already ${existing.length > 1 ? 'exist' : 'exists'}; nothing was changed. Add --force to enrol again with a new key (the config there is kept as the template)`);
  }
  const templateFile = options.templateFile ?? (options.force && existsSync(path('config')) ? path('config') : defaultTemplate());
  const template = readTemplate(templateFile);

  const keys = generateKeyPair();
  const enrolled = await enrol(endpoint, { token: options.token, gatewayId, publicKeyPem: keys.publicKeyPem }, options.timeoutMs ?? 15_000, deps.fetch ?? fetch);
  if (enrolled.gatewayId !== gatewayId || enrolled.keyId !== keys.keyId) {
    throw new ProvisionError('PROVISION_BAD_RESPONSE', `the aggregator answered for ${enrolled.gatewayId} key ${enrolled.keyId}, not ${gatewayId} key ${keys.keyId}`);
  }
  let aggregatorKeyId: string;
  try {
    aggregatorKeyId = keyIdOf(loadPublicKey(enrolled.aggregator.publicKeyPem));
  } catch (e) {
    throw new ProvisionError('PROVISION_BAD_RESPONSE', `the aggregator's public key is unusable: ${errorMessage(e)}`, { cause: e });
  }
  if (aggregatorKeyId !== enrolled.aggregator.keyId) {
    throw new ProvisionError('PROVISION_BAD_RESPONSE', `the aggregator's public key has id ${aggregatorKeyId}, the answer says ${enrolled.aggregator.keyId}`);
  }

  // Secrets first and private: 0700 folders, 0600 files (chmod too: mode only applies when a file is created).
  mkdirSync(dirname(path('privateKey')), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(path('mqttPassword')), { recursive: true, mode: 0o700 });
  writeFile(path('privateKey'), keys.privateKeyPem, 0o600);
  writeFile(path('mqttPassword'), enrolled.mqtt.password + '\n', 0o600);
  writeFile(path('publicKey'), keys.publicKeyPem, 0o644);
  writeFile(path('aggregatorPublicKey'), enrolled.aggregator.publicKeyPem, 0o644);
  writeFile(path('config'), gatewayConfigText(template, enrolled), 0o640);

  return {
    gatewayId,
    keyId: keys.keyId,
    brokerUrl: enrolled.mqtt.url,
    files: {
      config: path('config'),
      privateKey: path('privateKey'),
      publicKey: path('publicKey'),
      aggregatorPublicKey: path('aggregatorPublicKey'),
      mqttPassword: path('mqttPassword'),
    },
    remaining: remainingProblems(path('config')),
  };
}

function enrolEndpoint(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ProvisionError('PROVISION_BAD_URL', `--aggregator ${JSON.stringify(base)} is not a URL; expected http://HOST:PORT`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProvisionError('PROVISION_BAD_URL', `--aggregator ${JSON.stringify(base)}: expected an http:// or https:// URL (the aggregator's HTTP API, not its broker)`);
  }
  return new URL('api/enrol', url.href.endsWith('/') ? url.href : `${url.href}/`);
}

async function enrol(endpoint: URL, body: EnrolRequest, timeoutMs: number, doFetch: typeof fetch): Promise<EnrolResponse> {
  let res: Response;
  try {
    res = await doFetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? errorMessage(e));
    throw new ProvisionError('PROVISION_UNREACHABLE', `cannot reach the aggregator at ${endpoint.origin} (${why}); check the address, the port and the network`, { cause: e });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProvisionError('PROVISION_BAD_RESPONSE', `${endpoint.href} answered ${res.status} with something that is not JSON: is this the aggregator's HTTP API?`);
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: unknown; message?: unknown } }).error;
    const apiCode = typeof err?.code === 'string' ? err.code : 'unknown';
    const code = API_TO_PROVISION[apiCode] ?? 'PROVISION_REFUSED';
    const message = typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`;
    const advice = ADVICE[code];
    throw new ProvisionError(code, `the aggregator refused the enrolment (${apiCode}): ${message}${advice ? `; ${advice}` : ''}`, { context: { status: res.status } });
  }
  // The answer is checked with the wire's schema, the one the aggregator builds it from: a wrong URL (another
  // service answering JSON) or a mismatched aggregator version is named by its first wrong field.
  try {
    return parseEnrolResponse(json);
  } catch (e) {
    if (!isWireError(e)) throw e;
    const field = String(e.context.path ?? '(root)');
    throw new ProvisionError('PROVISION_BAD_RESPONSE', `${endpoint.href} answered ${res.status} but not with a chiso enrolment answer: ${e.message.replace(/^enrolment answer: /, '')}; is this the aggregator's HTTP API, and of a matching version?`, {
      cause: e,
      context: { status: res.status, field },
    });
  }
}

type Template = { file: string; doc: ReturnType<typeof parseDocument> };

function readTemplate(file: string): Template {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProvisionError('PROVISION_BAD_TEMPLATE', `cannot read the template ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ProvisionError('PROVISION_BAD_TEMPLATE', `${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  return { file, doc };
}

/** The template with this gateway's identity, broker and files filled in; comments and the rest kept. */
function gatewayConfigText(template: Template, enrolled: EnrolResponse): string {
  const doc = template.doc.clone();
  doc.setIn(['gateway', 'id'], enrolled.gatewayId);
  doc.setIn(['mqtt', 'url'], enrolled.mqtt.url);
  doc.setIn(['mqtt', 'topicRoot'], enrolled.mqtt.topicRoot);
  // The login and client id default to the gateway id, which is what the broker binds the topics to.
  for (const k of ['password', 'username', 'clientId']) doc.deleteIn(['mqtt', k]);
  doc.setIn(['mqtt', 'passwordFile'], PROVISION_LAYOUT.mqttPassword);
  doc.setIn(['keys', 'privateKeyFile'], PROVISION_LAYOUT.privateKey);
  doc.setIn(['keys', 'aggregatorPublicKeyFile'], PROVISION_LAYOUT.aggregatorPublicKey);
  return doc.toString();
}

function writeFile(file: string, text: string, mode: number): void {
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
}

function remainingProblems(configFile: string): string[] {
  try {
    loadGatewayConfig(configFile);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    return [errorMessage(e)];
  }
}

/** config/gateway.example.yaml of this installation (from src/cli or dist/src/cli alike). */
function defaultTemplate(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'config', 'gateway.example.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new ProvisionError('PROVISION_BAD_TEMPLATE', 'config/gateway.example.yaml was not found next to the program; give a template with --from FILE');
}

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'enrol this gateway at the aggregator and write its keys, password and config (technician)',
  usage: `Usage: chiso provision --aggregator http://HOST:PORT --token TOKEN --gateway-id ID --out DIR [--from FILE] [--force]

Makes this gateway's signing key, enrols it at the aggregator with the one-time token the operator gave
you (chiso enrol-token), and writes into DIR:
  ${PROVISION_LAYOUT.privateKey}        the gateway's private key (mode 0600; never leaves this machine)
  ${PROVISION_LAYOUT.publicKey}         its public key (registered at the aggregator)
  ${PROVISION_LAYOUT.aggregatorPublicKey}     the aggregator's public key (to check commands)
  ${PROVISION_LAYOUT.mqttPassword}        the gateway's MQTT password (mode 0600)
  ${PROVISION_LAYOUT.config}           a gateway config made from --from with the id, broker and files filled in
Then add the site's buses and meters to ${PROVISION_LAYOUT.config} and start: chiso gateway --config DIR/${PROVISION_LAYOUT.config}
  --aggregator URL   the aggregator's HTTP API, e.g. http://10.0.0.5:8080
  --token TOKEN      the one-time enrolment token
  --gateway-id ID    this gateway's id, as the token was issued for
  --out DIR          where to write (e.g. /etc/chiso)
  --from FILE        the config to start from (default config/gateway.example.yaml)
  --force            replace an existing key and config (enrols a new key)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      aggregator: { type: 'string' },
      token: { type: 'string' },
      'gateway-id': { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      force: { type: 'boolean' },
    });
    for (const name of ['aggregator', 'token', 'gateway-id', 'out'] as const) {
      if (!values[name]) throw new UsageError(`--${name} is required`);
    }
    let result: ProvisionResult;
    try {
      result = await provisionGateway({
        aggregatorUrl: values.aggregator!,
        token: values.token!,
        gatewayId: values['gateway-id']!,
        outDir: values.out!,
        ...(values.from === undefined ? {} : { templateFile: values.from }),
        force: values.force ?? false,
      });
    } catch (e) {
      if (e instanceof ProvisionError && (e.code === 'PROVISION_BAD_ID' || e.code === 'PROVISION_BAD_URL')) throw new UsageError(e.message);
      if (e instanceof ProvisionError) {
        io.err(`chiso provision: ${e.code}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    io.out(`enrolled gateway ${result.gatewayId} (key ${result.keyId}); broker ${result.brokerUrl}`);
    for (const [what, file] of Object.entries(result.files)) io.out(`  wrote ${file} (${what})`);
    if (result.remaining.length > 0) {
      io.out(`still to fill in before "chiso gateway --config ${result.files.config}" starts:`);
      for (const line of result.remaining) io.out(`  ${line}`);
    } else {
      io.out(`ready: chiso gateway --config ${result.files.config}`);
    }
    return 0;
  },
};
