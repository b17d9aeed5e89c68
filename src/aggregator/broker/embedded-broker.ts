import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TOPIC_ROOT } from '../../wire/index.js';
import type { RefusalRecord, RefusalStage } from '../store/refusals.js';
import { secretsEqual, verifyCredential } from '../store/credentials.js';
import { checkGatewayLogin, decidePublish, decideSubscribe, type Decision, type Identity } from './access.js';
import { Counters } from './counters.js';
import { localLink, type LocalLink } from './local-link.js';

export interface BrokerConfig {
  host: string;
  /** 0 picks a free port (tests); start() reports the one in use. */
  port: number;
  /**
   * A second listener with TLS, when a certificate and key are configured (PEM text, read by src/config).
   * With `ca`, that listener requires a client certificate signed by it, whose CN is the gateway id the
   * client then logs in with: a second factor beside the id and password, not a replacement.
   */
  tls?: { host?: string; port: number; cert: string; key: string; ca?: string } | undefined;
  topicRoot?: string;
  /** Largest PUBLISH payload accepted from a gateway (the wire's message limit by default). */
  maxPayloadBytes?: number;
  /** The aggregator's own clients (the ingest) log in with this; its username is never a valid gateway id. */
  internal: { username: string; password: string };
}

export interface BrokerDeps {
  gateways: { credentialHash(gatewayId: string): string | undefined };
  /** Where refusals are kept for the operator (the central DB's refusals log); optional in unit tests. */
  refusals?: { record(r: RefusalRecord): void };
  logger: Logger;
  clock?: Clock;
}

export interface EmbeddedBroker {
  start(): Promise<{ port: number; tlsPort?: number }>;
  close(): Promise<void>;
  /** A link for the aggregator's own parts in this process (the ingest), once started: no socket, no login. */
  local(): LocalLink;
  /** `connect.accepted`, `refused.<stage>.<reason>` … */
  readonly metrics: Counters;
}

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes. */
const RC_IDENTIFIER_REJECTED = 2;
const RC_BAD_USERNAME_OR_PASSWORD = 4;
const RC_NOT_AUTHORIZED = 5;

/** An internal username cannot be a gateway id (':' is not allowed in one), so the two never collide. */
export const DEFAULT_INTERNAL_USERNAME = 'chiso:aggregator';

/**
 * The MQTT broker embedded in the aggregator (aedes), with chiso's access rules in its hooks: every
 * gateway logs in with its own id and password (scrypt hash in the central DB), publishes only under its
 * own prefix and never on ack/cmd topics, and subscribes only to its own ack and cmd topics. Every refusal
 * is logged with its reason, counted, and written to the refusals log. With `tls.ca`, the TLS listener
 * also requires a client certificate from that CA, named for the gateway (CN = gateway id); a client
 * without one never gets past the handshake, so it is logged and counted (`refused.tls.*`) but, having
 * no identity yet, not written to the refusals log.
 */
export function buildEmbeddedBroker(config: BrokerConfig, deps: BrokerDeps): EmbeddedBroker {
  const root = config.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const maxBytes = config.maxPayloadBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ part: 'broker' });
  const metrics = new Counters();
  const identities = new WeakMap<Client, Identity>();
  /** Sockets of a listener that required a client certificate → that certificate's CN (null: none, or several). */
  const certNames = new WeakMap<object, string | null>();
  let aedes: Aedes | undefined;
  const servers: Server[] = [];

  function refuse(stage: RefusalStage, gatewayId: string | null, d: Extract<Decision, { ok: false }>, topic?: string): void {
    metrics.inc(`refused.${stage}.${d.reason}`);
    log.warn({ stage, gatewayId, topic, reason: d.reason }, `refused ${stage}: ${d.detail}`);
    try {
      deps.refusals?.record({ at: clock.now(), stage, gatewayId, topic: topic ?? null, reason: d.reason, detail: d.detail });
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'could not write a broker refusal to the refusals log');
    }
  }

  function authError(code: number, reason: string): AuthenticateError {
    return Object.assign(new Error(`connection refused: ${reason}`), { returnCode: code }) as AuthenticateError;
  }

  async function authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Identity> {
    const secret = password?.toString('utf8') ?? '';
    if (username === config.internal.username) {
      if (secretsEqual(secret, config.internal.password)) return { kind: 'internal', username };
      throw denied('connect', null, RC_BAD_USERNAME_OR_PASSWORD, { ok: false, reason: 'bad-password', detail: `internal login ${username}: wrong password` });
    }
    const login = checkGatewayLogin(username, client.id);
    if (!login.ok) {
      const code = login.reason === 'client-id-mismatch' ? RC_IDENTIFIER_REJECTED : RC_BAD_USERNAME_OR_PASSWORD;
      throw denied('connect', username ?? null, code, login);
    }
    const gatewayId = username!;
    // Before the password: a certificate of one gateway with another's password learns nothing about it.
    const certName = certNames.get(client.conn);
    if (certName !== undefined && certName !== gatewayId) {
      const found = certName === null ? 'has no single CN' : `is for ${JSON.stringify(certName.slice(0, 80))}`;
      throw denied('connect', gatewayId, RC_NOT_AUTHORIZED, { ok: false, reason: 'cert-name-mismatch', detail: `${gatewayId}: its client certificate ${found}, not for this gateway id` });
    }
    const hash = deps.gateways.credentialHash(gatewayId);
    // Unknown gateway and wrong password answer the same return code: the client learns nothing about ids.
    if (hash === undefined) {
      throw denied('connect', gatewayId, RC_BAD_USERNAME_OR_PASSWORD, { ok: false, reason: 'unknown-gateway', detail: `${gatewayId} is not enrolled` });
    }
    if (!(await verifyCredential(secret, hash))) {
      throw denied('connect', gatewayId, RC_BAD_USERNAME_OR_PASSWORD, { ok: false, reason: 'bad-password', detail: `${gatewayId}: wrong password` });
    }
    return { kind: 'gateway', gatewayId };
  }

  function denied(stage: RefusalStage, gatewayId: string | null, code: number, d: Extract<Decision, { ok: false }>): AuthenticateError {
    refuse(stage, gatewayId, d);
    return authError(code, d.reason);
  }

  function idOf(who: Identity | undefined): string | null {
    return who?.kind === 'gateway' ? who.gatewayId : null;
  }

  async function start(): Promise<{ port: number; tlsPort?: number }> {
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        authenticate(client, username, password).then(
          (who) => {
            identities.set(client, who);
            metrics.inc('connect.accepted');
            log.info({ clientId: client.id, gatewayId: idOf(who) }, 'client connected');
            done(null, true);
          },
          (err: AuthenticateError) => done(err, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        const who = client === null ? undefined : identities.get(client);
        if (who === undefined) {
          // aedes publishes a stored will with client null after a restart: nobody to attribute it to.
          refuse('publish', null, { ok: false, reason: 'no-identity', detail: `publish on ${packet.topic} without an authenticated client` }, packet.topic);
          return done(new Error('publish refused: no identity'));
        }
        const d = decidePublish(who, { topic: packet.topic, retain: packet.retain, bytes: packet.payload.length }, root, maxBytes);
        if (d.ok) return done(null);
        // aedes closes the connection on a refused PUBLISH (MQTT 3.1.1 has no negative PUBACK, §3.3.5).
        refuse('publish', idOf(who), d, packet.topic);
        done(new Error(`publish refused: ${d.reason}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        const who = identities.get(client);
        const d: Decision = who === undefined ? { ok: false, reason: 'no-identity', detail: 'subscribe before authentication' } : decideSubscribe(who, sub.topic, root);
        if (d.ok) return done(null, sub);
        refuse('subscribe', idOf(who), d, sub.topic);
        done(null, null); // SUBACK return code 0x80 for this filter; the connection stays up
      },
    });
    aedes = broker;
    broker.on('clientDisconnect', (client) => log.info({ clientId: client.id }, 'client disconnected'));
    broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));

    const tcp = createTcpServer((socket) => broker.handle(socket));
    const port = await listen(tcp, config.port, config.host);
    servers.push(tcp);
    log.info({ host: config.host, port }, 'broker listening (tcp)');
    if (config.tls === undefined) return { port };
    const t = config.tls;
    const clientCerts = t.ca !== undefined;
    // `ca` replaces Node's public CAs for checking client certificates: only the configured CA's count.
    const options = clientCerts ? { cert: t.cert, key: t.key, ca: t.ca, requestCert: true, rejectUnauthorized: true } : { cert: t.cert, key: t.key };
    const tls = createTlsServer(options, (socket) => {
      if (clientCerts) certNames.set(socket, peerCommonName(socket));
      broker.handle(socket);
    });
    tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const reason = handshakeRefusal(err, socket);
      metrics.inc(`refused.tls.${reason}`);
      // A probe that connects and hangs up is no news; a missing or foreign certificate is.
      const level = reason === 'handshake' ? 'debug' : 'warn';
      const why = reason === 'bad-client-cert' ? `client certificate not accepted (${String(socket.authorizationError)})` : err.message;
      log[level]({ stage: 'tls', remote: socket.remoteAddress, reason, code: err.code }, `refused TLS handshake: ${why}`);
    });
    const tlsPort = await listen(tls, t.port, t.host ?? config.host);
    servers.push(tls);
    log.info({ host: t.host ?? config.host, port: tlsPort, clientCertificates: clientCerts ? 'required' : 'not asked' }, 'broker listening (tls)');
    return { port, tlsPort };
  }

  async function close(): Promise<void> {
    const broker = aedes;
    aedes = undefined;
    if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  function local(): LocalLink {
    if (aedes === undefined) throw new Error('the embedded broker is not started');
    return localLink(aedes);
  }

  return { start, close, local, metrics };
}

/** The subject CN of a verified client certificate; null when it has none or several (no single name to check). */
function peerCommonName(socket: TLSSocket): string | null {
  const cn: unknown = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' ? cn : null;
}

/**
 * Why a handshake failed, as a stable metric name. A client without a certificate is stopped by OpenSSL
 * (with an alert); one whose certificate does not chain to the CA is checked by Node after the handshake
 * and its socket destroyed without an alert, which reaches here as a hang-up with `authorizationError` set
 * (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). The rest (a probe, a client that does not trust us) is a handshake failure.
 */
function handshakeRefusal(err: NodeJS.ErrnoException, socket: TLSSocket): 'no-client-cert' | 'bad-client-cert' | 'handshake' {
  if (err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no-client-cert';
  if (socket.authorizationError !== null && socket.authorizationError !== undefined) return 'bad-client-cert';
  return 'handshake';
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
