import { mayPublish, maySubscribe, parseGatewayTopic, isValidGatewayId } from '../../wire/index.js';

/**
 * The broker's access policy as pure decisions, apart from aedes' callbacks so every rule can be tested
 * without sockets. Each refusal carries a stable reason that ends up in logs, metrics and the refusals log.
 */
export type Identity = { kind: 'gateway'; gatewayId: string } | { kind: 'internal'; username: string };

export type Decision = { ok: true } | { ok: false; reason: string; detail: string };

const ok: Decision = { ok: true };
const no = (reason: string, detail: string): Decision => ({ ok: false, reason, detail });

/**
 * What to check at CONNECT, before any password work: the login must be a valid gateway id, and the MQTT
 * client id must equal it. The second rule matters because a broker drops an existing session when another
 * client connects with the same client id: without it one gateway could knock another off the air.
 */
export function checkGatewayLogin(username: string | undefined, clientId: string): Decision {
  if (username === undefined || username === '') return no('no-credentials', 'CONNECT without a username');
  if (!isValidGatewayId(username)) return no('bad-username', `username ${JSON.stringify(String(username).slice(0, 80))} is not a gateway id`);
  if (clientId !== username) return no('client-id-mismatch', `client id ${JSON.stringify(clientId.slice(0, 80))} is not the gateway id ${username}`);
  return ok;
}

export interface PublishFacts {
  topic: string;
  retain: boolean;
  bytes: number;
}

export function decidePublish(who: Identity, p: PublishFacts, root: string, maxBytes: number): Decision {
  if (p.topic.startsWith('$')) return no('reserved-topic', `${p.topic}: $ topics belong to the broker`);
  if (p.bytes > maxBytes) return no('too-large', `${p.topic}: ${p.bytes} bytes, limit ${maxBytes}`);
  if (who.kind === 'internal') return ok;
  const gw = who.gatewayId;
  if (!mayPublish(gw, p.topic, root)) {
    const parsed = parseGatewayTopic(p.topic, root);
    if (parsed === undefined) return no('topic-not-allowed', `${gw} may not publish on ${p.topic}`);
    if (parsed.gatewayId !== gw) return no('foreign-prefix', `${gw} may not publish under ${parsed.gatewayId}'s prefix (${p.topic})`);
    return no('aggregator-only-topic', `${gw} may not publish on its ${parsed.kind} topic: only the aggregator sends ${parsed.kind}`);
  }
  // Only status is a retained topic (TOPIC_QOS); a retained reads batch would sit in the broker for ever.
  if (p.retain && parseGatewayTopic(p.topic, root)?.kind !== 'status') return no('retain-not-allowed', `${gw} may not retain ${p.topic}`);
  return ok;
}

export function decideSubscribe(who: Identity, filter: string, root: string): Decision {
  if (who.kind === 'internal') return ok;
  if (maySubscribe(who.gatewayId, filter, root)) return ok;
  return no('subscribe-not-allowed', `${who.gatewayId} may not subscribe to ${filter} (only its own cmd and ack topics, no wildcards)`);
}
