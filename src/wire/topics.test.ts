import { describe, expect, it } from 'vitest';
import { isWireError } from './errors.js';
import {
  aggregatorSubscriptions,
  gatewayTopic,
  gatewayTopics,
  isValidGatewayId,
  mayPublish,
  maySubscribe,
  parseGatewayTopic,
  TOPIC_KINDS,
  TOPIC_QOS,
  topicMatches,
} from './topics.js';

describe('gateway ids', () => {
  it('accepts 1–64 chars of [A-Za-z0-9_-] starting with a letter or digit', () => {
    for (const id of ['G', 'TBA-CauGiay-01', 'gw_7', '0', 'a'.repeat(64)]) expect(isValidGatewayId(id)).toBe(true);
  });
  it('refuses wildcards, separators, empty, too long, leading dash', () => {
    for (const id of ['', '-gw', '_gw', 'g/w', 'g+', 'g#', 'a'.repeat(65), 'gw 1', 'gw.1', '$SYS', 'gé']) {
      expect(isValidGatewayId(id)).toBe(false);
    }
    expect(isValidGatewayId(42)).toBe(false);
  });
});

describe('building and parsing topics', () => {
  it('builds every kind under the default root', () => {
    expect(gatewayTopic('GW1', 'reads')).toBe('chiso/v1/gw/GW1/reads');
    expect(gatewayTopic('GW1', 'cmd/response')).toBe('chiso/v1/gw/GW1/cmd/response');
    expect(gatewayTopics('GW1')).toEqual({
      reads: 'chiso/v1/gw/GW1/reads',
      events: 'chiso/v1/gw/GW1/events',
      status: 'chiso/v1/gw/GW1/status',
      heartbeat: 'chiso/v1/gw/GW1/heartbeat',
      'cmd/response': 'chiso/v1/gw/GW1/cmd/response',
      ack: 'chiso/v1/gw/GW1/ack',
      cmd: 'chiso/v1/gw/GW1/cmd',
    });
  });

  it('round-trips every kind, with a custom root too', () => {
    for (const root of ['chiso/v1', 'evn/hn/chiso/v1']) {
      for (const kind of TOPIC_KINDS) {
        expect(parseGatewayTopic(gatewayTopic('G-7', kind, root), root)).toEqual({ gatewayId: 'G-7', kind });
      }
    }
  });

  it('parses nothing that is not exactly ours', () => {
    for (const t of [
      'chiso/v1/gw/GW1',
      'chiso/v1/gw/GW1/',
      'chiso/v1/gw/GW1/reads/extra',
      'chiso/v1/gw/GW1/cmd/response/x',
      'chiso/v1/gw//reads',
      'chiso/v1/gw/+/reads',
      'chiso/v1/gw/G#/reads',
      'chiso/v2/gw/GW1/reads',
      'other/v1/gw/GW1/reads',
      'chiso/v1/GW1/reads',
      'chiso/v1/gw/GW1/response',
    ]) {
      expect(parseGatewayTopic(t), t).toBeUndefined();
    }
    expect(parseGatewayTopic('chiso/v1/gw/GW1/reads', 'x/v1')).toBeUndefined();
  });

  it('refuses invalid gateway ids and roots with WIRE_BAD_TOPIC', () => {
    expect(() => gatewayTopic('+', 'reads')).toThrow(expect.objectContaining({ code: 'WIRE_BAD_TOPIC' }));
    for (const root of ['', 'a//b', '/a', 'a/', 'a/+', '#', '$SYS/x']) {
      let err: unknown;
      try {
        gatewayTopic('GW1', 'reads', root);
      } catch (e) {
        err = e;
      }
      expect(isWireError(err, 'WIRE_BAD_TOPIC'), root).toBe(true);
    }
  });

  it('gives the aggregator one wildcard filter per inbound kind', () => {
    expect(aggregatorSubscriptions()).toEqual([
      'chiso/v1/gw/+/reads',
      'chiso/v1/gw/+/events',
      'chiso/v1/gw/+/status',
      'chiso/v1/gw/+/heartbeat',
      'chiso/v1/gw/+/cmd/response',
    ]);
  });

  it('says reads, events, acks and commands are QoS 1 and only status is retained', () => {
    expect(TOPIC_QOS.reads).toEqual({ qos: 1, retain: false });
    expect(TOPIC_QOS.status).toEqual({ qos: 1, retain: true });
    expect(TOPIC_QOS.heartbeat.qos).toBe(0);
    expect(Object.values(TOPIC_QOS).filter((q) => q.retain)).toHaveLength(1);
  });
});

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['chiso/v1/gw/+/reads', 'chiso/v1/gw/GW1/reads', true],
    ['chiso/v1/gw/+/reads', 'chiso/v1/gw/GW1/events', false],
    ['chiso/v1/gw/+/cmd', 'chiso/v1/gw/GW1/cmd/response', false],
    ['chiso/v1/#', 'chiso/v1/gw/GW1/cmd/response', true],
    ['chiso/v1/gw/GW1/#', 'chiso/v1/gw/GW1', true],
    ['#', 'chiso/v1/gw/GW1/reads', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/v1/gw/GW1/reads', '$x/v1/gw/GW1/reads', false],
    ['chiso/v1/gw/GW1/reads', 'chiso/v1/gw/GW1/reads', true],
    ['chiso/v1/gw/GW1/reads', 'chiso/v1/gw/GW1/reads/', false],
    ['chiso/#/reads', 'chiso/v1/reads', false],
  ])('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('ACL: mayPublish', () => {
  it('lets a gateway publish its own outbound kinds', () => {
    for (const kind of ['reads', 'events', 'status', 'heartbeat', 'cmd/response'] as const) {
      expect(mayPublish('GW1', gatewayTopic('GW1', kind)), kind).toBe(true);
    }
  });
  it('refuses acks and commands, even on its own prefix', () => {
    expect(mayPublish('GW1', 'chiso/v1/gw/GW1/ack')).toBe(false);
    expect(mayPublish('GW1', 'chiso/v1/gw/GW1/cmd')).toBe(false);
  });
  it("refuses another gateway's prefix, unknown kinds and foreign topics", () => {
    expect(mayPublish('GW1', 'chiso/v1/gw/GW2/reads')).toBe(false);
    expect(mayPublish('GW1', 'chiso/v1/gw/GW10/reads')).toBe(false);
    expect(mayPublish('GW10', 'chiso/v1/gw/GW1/reads')).toBe(false);
    expect(mayPublish('GW1', 'chiso/v1/gw/GW1/reads/x')).toBe(false);
    expect(mayPublish('GW1', 'chiso/v1/gw/GW1/secrets')).toBe(false);
    expect(mayPublish('GW1', 'chiso/v1/other')).toBe(false);
    expect(mayPublish('GW1', '$SYS/x')).toBe(false);
  });
  it('refuses wildcard "topics" and invalid client ids', () => {
    expect(mayPublish('GW1', 'chiso/v1/gw/+/reads')).toBe(false);
    expect(mayPublish('GW1', '#')).toBe(false);
    expect(mayPublish('+', 'chiso/v1/gw/+/reads')).toBe(false);
    expect(mayPublish('', 'chiso/v1/gw//reads')).toBe(false);
  });
  it('honours a custom root', () => {
    expect(mayPublish('GW1', 'x/y/gw/GW1/reads', 'x/y')).toBe(true);
    expect(mayPublish('GW1', 'chiso/v1/gw/GW1/reads', 'x/y')).toBe(false);
  });
});

describe('ACL: maySubscribe', () => {
  it('allows exactly its own cmd and ack topics', () => {
    expect(maySubscribe('GW1', 'chiso/v1/gw/GW1/cmd')).toBe(true);
    expect(maySubscribe('GW1', 'chiso/v1/gw/GW1/ack')).toBe(true);
  });
  it('refuses every wildcard, including ones confined to its own prefix', () => {
    for (const filter of [
      'chiso/v1/gw/+/reads',
      'chiso/v1/gw/+/cmd',
      'chiso/v1/gw/+/ack',
      '#',
      '+',
      'chiso/#',
      'chiso/v1/gw/#',
      'chiso/v1/gw/GW1/#',
      'chiso/v1/gw/GW1/+',
      'chiso/v1/gw/GW1/cmd/#',
      '+/v1/gw/GW1/cmd',
    ]) {
      expect(maySubscribe('GW1', filter), filter).toBe(false);
    }
  });
  it("refuses other gateways' topics, its own outbound topics, shared and $ subscriptions", () => {
    for (const filter of [
      'chiso/v1/gw/GW2/cmd',
      'chiso/v1/gw/GW2/ack',
      'chiso/v1/gw/GW1/reads',
      'chiso/v1/gw/GW1/status',
      'chiso/v1/gw/GW1/cmd/response',
      '$share/g/chiso/v1/gw/GW1/cmd',
      '$SYS/#',
      'chiso/v1/gw/GW1/cmd\u0000',
    ]) {
      expect(maySubscribe('GW1', filter), filter).toBe(false);
    }
    expect(maySubscribe('GW1+', 'chiso/v1/gw/GW1+/cmd')).toBe(false);
  });
});
