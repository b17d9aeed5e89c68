import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnrolRequestSchema, EnrolResponseSchema, parseEnrolRequest, parseEnrolResponse, type EnrolResponse } from './enrolment.js';
import { isWireError, type WireError } from './errors.js';
import { keyIdOf, loadPublicKey } from './keys.js';
import { testSigner } from './test-helpers.js';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
/** `<!-- enrolment-example: name -->` + a json block (a marker of its own: readme.test.ts counts `example:`). */
const examples = new Map([...readme.matchAll(/<!-- enrolment-example: ([a-z-]+) -->\s*```json\n([\s\S]*?)```/g)].map((m) => [m[1]!, JSON.parse(m[2]!) as unknown]));

const gateway = testSigner('TBA-CauGiay-01');
const aggregator = testSigner('aggregator');

function goodRequest() {
  return { token: 'q3Jx9mC1bVnE0aZkT7wLrP2yUu5sHd8f', gatewayId: 'TBA-CauGiay-01', publicKeyPem: gateway.publicKeyPem };
}

function goodAnswer(): EnrolResponse {
  return {
    gatewayId: 'TBA-CauGiay-01',
    keyId: gateway.keyId,
    mqtt: { url: 'mqtts://127.0.0.1:8883', username: 'TBA-CauGiay-01', password: 'secret-once', clientId: 'TBA-CauGiay-01', topicRoot: 'chiso/v1' },
    aggregator: { name: 'PC Hà Nội', publicKeyPem: aggregator.publicKeyPem, keyId: aggregator.keyId },
  };
}

function failure(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (isWireError(e)) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

/** A copy of `value` with the property at `path` replaced (or deleted when `to` is the DELETE marker). */
const DELETE = Symbol('delete');
function changed<T>(value: T, path: string, to: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (to === DELETE) delete at[last];
  else at[last] = to;
  return copy as T;
}

describe('README enrolment examples', () => {
  it('has a request and an answer, both valid', () => {
    expect([...examples.keys()].sort()).toEqual(['answer', 'request']);
    expect(EnrolRequestSchema.safeParse(examples.get('request')).success).toBe(true);
    expect(EnrolResponseSchema.safeParse(examples.get('answer')).success).toBe(true);
  });

  it('their key ids are the ids of the keys they show', () => {
    const request = parseEnrolRequest(examples.get('request'));
    const answer = parseEnrolResponse(examples.get('answer'));
    expect(answer.keyId).toBe(keyIdOf(loadPublicKey(request.publicKeyPem)));
    expect(answer.aggregator.keyId).toBe(keyIdOf(loadPublicKey(answer.aggregator.publicKeyPem)));
    expect(answer.gatewayId).toBe(request.gatewayId);
  });
});

describe('enrolment request', () => {
  it('accepts a good request and drops unknown fields (additive changes stay compatible)', () => {
    expect(parseEnrolRequest({ ...goodRequest(), hostname: 'gw-15' })).toEqual(goodRequest());
  });

  it.each([
    ['token', DELETE, /^enrolment request: token: the one-time enrolment token \(text\)$/],
    ['token', '', /^enrolment request: token: the one-time enrolment token/],
    ['token', 'x'.repeat(257), /^enrolment request: token: .*at most 256 characters$/],
    ['gatewayId', 'gw/1', /^enrolment request: gatewayId: a gateway id: 1 to 64 letters/],
    ['gatewayId', 42, /^enrolment request: gatewayId: a gateway id/],
    ['publicKeyPem', 'MCowBQYDK2VwAyEA', /^enrolment request: publicKeyPem: an Ed25519 public key \(SPKI PEM/],
    ['publicKeyPem', `-----BEGIN PUBLIC KEY-----${'A'.repeat(4100)}`, /^enrolment request: publicKeyPem: a public key PEM of at most 4096 characters$/],
  ])('refuses %s = %j, naming the field', (field, value, message) => {
    const e = failure(() => parseEnrolRequest(changed(goodRequest(), field, value)));
    expect(e.code).toBe('WIRE_MALFORMED');
    expect(e.context.path).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('refuses something that is not an object', () => {
    for (const value of [null, 'token', [goodRequest()]]) {
      const e = failure(() => parseEnrolRequest(value));
      expect(e.message).toBe('enrolment request: (root): an object { token, gatewayId, publicKeyPem }');
    }
  });
});

describe('enrolment answer', () => {
  it('accepts a good answer, with each broker URL scheme', () => {
    expect(parseEnrolResponse(goodAnswer())).toEqual(goodAnswer());
    for (const url of ['mqtt://10.0.0.5:1883', 'ws://agg.example/mqtt', 'wss://agg.example/mqtt', 'tcp://h:1', 'ssl://h:2']) {
      expect(parseEnrolResponse(changed(goodAnswer(), 'mqtt.url', url)).mqtt.url).toBe(url);
    }
  });

  it.each([
    ['gatewayId', DELETE, /: gatewayId: a gateway id/],
    ['keyId', 'ABCDEF0123456789', /: keyId: a key id: 16 lowercase hex characters/],
    ['keyId', '21fe31df', /: keyId: a key id/],
    ['mqtt', DELETE, /: mqtt: an object \{ url, username, password, clientId, topicRoot \}$/],
    ['mqtt.url', 'http://aggregator.example:8080', /: mqtt\.url: a broker URL such as mqtts:/],
    ['mqtt.url', 'not a url', /: mqtt\.url: a broker URL/],
    ['mqtt.username', '', /: mqtt\.username: the MQTT user name/],
    ['mqtt.password', DELETE, /: mqtt\.password: the gateway's MQTT password \(text, not empty\)$/],
    ['mqtt.password', '', /: mqtt\.password: the gateway's MQTT password/],
    ['mqtt.clientId', null, /: mqtt\.clientId: the MQTT client id/],
    ['mqtt.topicRoot', 'chiso/+', /: mqtt\.topicRoot: a topic root such as chiso\/v1/],
    ['mqtt.topicRoot', '$SYS', /: mqtt\.topicRoot: a topic root/],
    ['aggregator', 'PC Hà Nội', /: aggregator: an object \{ name, publicKeyPem, keyId \}$/],
    ['aggregator.name', '', /: aggregator\.name: the aggregator's name/],
    ['aggregator.publicKeyPem', '-----BEGIN PRIVATE KEY-----\n', /: aggregator\.publicKeyPem: an Ed25519 public key/],
    ['aggregator.keyId', undefined, /: aggregator\.keyId: a key id/],
  ])('refuses %s = %j, naming the field', (field, value, message) => {
    const e = failure(() => parseEnrolResponse(changed(goodAnswer(), field, value)));
    expect(e.code).toBe('WIRE_MALFORMED');
    expect(e.context.path).toBe(field);
    expect(e.message.startsWith(`enrolment answer: ${field}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });

  it('refuses an error body or HTML-ish JSON from the wrong service at the root', () => {
    expect(failure(() => parseEnrolResponse('<html>')).message).toBe('enrolment answer: (root): an object { gatewayId, keyId, mqtt, aggregator }');
    // An object that is not an enrolment names its first missing field.
    expect(failure(() => parseEnrolResponse({ error: { code: 'X' } })).context.path).toBe('gatewayId');
  });
});
