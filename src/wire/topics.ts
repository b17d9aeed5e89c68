import { WireError } from './errors.js';

/**
 * The MQTT topic layout. Everything a gateway says or hears lives under `{root}/gw/{gatewayId}/…`, so one
 * prefix per gateway is also the unit of authorisation (see mayPublish / maySubscribe). The root carries
 * the wire major version (`chiso/v1`): a v2 layout can run beside v1 on the same broker during a rollout.
 */
export const DEFAULT_TOPIC_ROOT = 'chiso/v1';

/** Topic kinds, in the direction they flow. */
export const GATEWAY_TO_AGGREGATOR_KINDS = ['reads', 'events', 'status', 'heartbeat', 'cmd/response'] as const;
export const AGGREGATOR_TO_GATEWAY_KINDS = ['ack', 'cmd'] as const;
export const TOPIC_KINDS = [...GATEWAY_TO_AGGREGATOR_KINDS, ...AGGREGATOR_TO_GATEWAY_KINDS] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** QoS and retain flag per kind: reads/events/acks/commands must arrive (QoS 1); status is retained. */
export const TOPIC_QOS: Readonly<Record<TopicKind, { qos: 0 | 1; retain: boolean }>> = {
  reads: { qos: 1, retain: false },
  events: { qos: 1, retain: false },
  status: { qos: 1, retain: true },
  heartbeat: { qos: 0, retain: false },
  'cmd/response': { qos: 1, retain: false },
  ack: { qos: 1, retain: false },
  cmd: { qos: 1, retain: false },
};

const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isValidGatewayId(id: unknown): id is string {
  return typeof id === 'string' && GATEWAY_ID.test(id);
}

export function assertGatewayId(id: unknown): asserts id is string {
  if (!isValidGatewayId(id)) {
    throw new WireError('WIRE_BAD_TOPIC', `invalid gateway id ${JSON.stringify(id)}: want ${GATEWAY_ID.source}`);
  }
}

/**
 * A root is one or more non-empty levels without wildcards, NUL or a leading `$` (MQTT 3.1.1 §4.7.1–4.7.3:
 * wildcards are not allowed in topic names; `$` topics are reserved for the broker).
 */
export function assertTopicRoot(root: string): void {
  if (!isTopicRoot(root)) throw new WireError('WIRE_BAD_TOPIC', `invalid topic root ${JSON.stringify(root)}`);
}

/** assertTopicRoot as a predicate, for schemas (the config files, the enrolment answer). */
export function isTopicRoot(root: string): boolean {
  return root.length > 0 && root.length <= 200 && !root.startsWith('$') && !/[+#\u0000]/.test(root) && root.split('/').every((level) => level.length > 0);
}

/** A broker URL a gateway can connect to: mqtt(s), ws(s), tcp or ssl, with a host. */
export function isBrokerUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** `{root}/gw/{gatewayId}/{kind}`. Throws WIRE_BAD_TOPIC on an invalid gateway id or root. */
export function gatewayTopic(gatewayId: string, kind: TopicKind, root: string = DEFAULT_TOPIC_ROOT): string {
  assertTopicRoot(root);
  assertGatewayId(gatewayId);
  return `${root}/gw/${gatewayId}/${kind}`;
}

/** Every topic of one gateway, keyed by kind. */
export function gatewayTopics(gatewayId: string, root: string = DEFAULT_TOPIC_ROOT): Record<TopicKind, string> {
  const out = {} as Record<TopicKind, string>;
  for (const kind of TOPIC_KINDS) out[kind] = gatewayTopic(gatewayId, kind, root);
  return out;
}

export interface GatewayTopic {
  gatewayId: string;
  kind: TopicKind;
}

/** The inverse of gatewayTopic; undefined for anything that is not exactly one of our topics. */
export function parseGatewayTopic(topic: string, root: string = DEFAULT_TOPIC_ROOT): GatewayTopic | undefined {
  const prefix = `${root}/gw/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const gatewayId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  if (!isValidGatewayId(gatewayId)) return undefined;
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) return undefined;
  return { gatewayId, kind: kind as TopicKind };
}

/** The filters the aggregator subscribes to: each gateway→aggregator kind under every gateway. */
export function aggregatorSubscriptions(root: string = DEFAULT_TOPIC_ROOT): string[] {
  assertTopicRoot(root);
  return GATEWAY_TO_AGGREGATOR_KINDS.map((kind) => `${root}/gw/+/${kind}`);
}

/**
 * MQTT 3.1.1 §4.7 matching of a topic name against a filter: `+` is one level, `#` (last level only)
 * is the parent level and everything below it. Filters starting with a wildcard do not match `$` topics
 * (§4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * ACL for a gateway's own MQTT client (the broker's authorizePublish hook). A gateway publishes only
 * the gateway→aggregator kinds under its own prefix: never under another gateway's prefix, and never acks
 * or commands (acks are unsigned and make a gateway delete its outbox, so only the aggregator may send them).
 */
export function mayPublish(gatewayId: string, topic: string, root: string = DEFAULT_TOPIC_ROOT): boolean {
  if (!isValidGatewayId(gatewayId)) return false;
  const parsed = parseGatewayTopic(topic, root);
  return (
    parsed !== undefined &&
    parsed.gatewayId === gatewayId &&
    (GATEWAY_TO_AGGREGATOR_KINDS as readonly string[]).includes(parsed.kind)
  );
}

/**
 * ACL for a gateway's subscriptions (the broker's authorizeSubscribe hook). Only its own `cmd` and `ack`
 * topics, spelled out exactly. Any wildcard is refused: `…/gw/G1/+` or `…/gw/G1/#` would also match its own
 * reads and status, `…/gw/+/cmd` or `#` would reach other gateways, and `$share/…` could steal other
 * subscribers' messages. Being strict costs nothing: a gateway needs exactly two subscriptions.
 */
export function maySubscribe(gatewayId: string, topicFilter: string, root: string = DEFAULT_TOPIC_ROOT): boolean {
  if (!isValidGatewayId(gatewayId)) return false;
  if (/[+#\u0000]/.test(topicFilter) || topicFilter.startsWith('$')) return false;
  return AGGREGATOR_TO_GATEWAY_KINDS.some((kind) => topicFilter === `${root}/gw/${gatewayId}/${kind}`);
}
