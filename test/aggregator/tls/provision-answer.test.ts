import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionCommand, provisionGateway } from '../../../src/cli/provision-command.js';
import { keyIdOf, loadPublicKey } from '../../../src/wire/index.js';
import { testSigner } from '../../../src/wire/test-helpers.js';
import { tempDir } from '../../store/temp-dir.js';

/**
 * `chiso provision` checks the aggregator's enrolment answer with the wire's EnrolResponseSchema: a
 * service that answers something else (wrong URL, mismatched version) is named, field by field, and
 * nothing is written. A real HTTP server on 127.0.0.1 plays the aggregator, answering whatever the test
 * sets, built from what the gateway sent.
 */
const GW = 'TBA-Answer-01';
const aggregatorKey = testSigner('aggregator');

type Answer = (request: { gatewayId: string; publicKeyPem: string }) => { status: number; body: unknown };
let answer: Answer;
let server: Server;
let url: string;
const tmp = tempDir('chiso-provision-answer-');

function goodAnswer(request: { gatewayId: string; publicKeyPem: string }) {
  return {
    gatewayId: request.gatewayId,
    keyId: keyIdOf(loadPublicKey(request.publicKeyPem)),
    mqtt: { url: 'mqtts://127.0.0.1:8883', username: request.gatewayId, password: 'once', clientId: request.gatewayId, topicRoot: 'chiso/v1' },
    aggregator: { name: 'test', publicKeyPem: aggregatorKey.publicKeyPem, keyId: aggregatorKey.keyId },
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const { status, body } = answer(JSON.parse(text));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  tmp.cleanup();
});

async function provisionFails(out: string) {
  const e = await provisionGateway({ aggregatorUrl: url, token: 'tok', gatewayId: GW, outDir: tmp.file(out), timeoutMs: 5_000 }).catch((x: unknown) => x);
  expect(existsSync(tmp.file(out)), 'nothing is written').toBe(false);
  return e as Error & { code: string; context: Record<string, unknown> };
}

describe('chiso provision: the enrolment answer is checked with the wire schema', () => {
  it('accepts a good answer (the fake aggregator is a fair one)', async () => {
    answer = (r) => ({ status: 201, body: goodAnswer(r) });
    const template = tmp.file('template.yaml');
    writeFileSync(template, 'gateway:\n  id: x\nmqtt:\n  url: mqtt://x:1\n');
    const done = await provisionGateway({ aggregatorUrl: url, token: 'tok', gatewayId: GW, outDir: tmp.file('good'), templateFile: template, timeoutMs: 5_000 });
    expect(done.brokerUrl).toBe('mqtts://127.0.0.1:8883');
  });

  it('names a missing MQTT password', async () => {
    answer = (r) => {
      const body = goodAnswer(r) as { mqtt: Record<string, unknown> };
      delete body.mqtt.password;
      return { status: 201, body };
    };
    const e = await provisionFails('no-password');
    expect(e.code).toBe('PROVISION_BAD_RESPONSE');
    expect(e.message).toBe(
      `${url}/api/enrol answered 201 but not with a chiso enrolment answer: mqtt.password: the gateway's MQTT password (text, not empty); is this the aggregator's HTTP API, and of a matching version?`,
    );
    expect(e.context).toMatchObject({ status: 201, field: 'mqtt.password' });
  });

  it('names a broker URL that is not one', async () => {
    answer = (r) => ({ status: 201, body: { ...goodAnswer(r), mqtt: { ...goodAnswer(r).mqtt, url: 'http://127.0.0.1:8080' } } });
    const e = await provisionFails('http-url');
    expect(e.code).toBe('PROVISION_BAD_RESPONSE');
    expect(e.message).toContain('answered 201 but not with a chiso enrolment answer: mqtt.url: a broker URL such as mqtts://');
  });

  it('names the first missing field when another service answers 200 with its own JSON', async () => {
    answer = () => ({ status: 200, body: { status: 'ok', version: '3.1' } });
    const e = await provisionFails('other-service');
    expect(e.code).toBe('PROVISION_BAD_RESPONSE');
    expect(e.message).toContain('answered 200 but not with a chiso enrolment answer: gatewayId: a gateway id');
  });

  it('the command prints the code and the field', async () => {
    answer = (r) => ({ status: 201, body: { ...goodAnswer(r), aggregator: { ...goodAnswer(r).aggregator, keyId: 'NOT-HEX' } } });
    const errs: string[] = [];
    const code = await provisionCommand.run(['--aggregator', url, '--token', 'tok', '--gateway-id', GW, '--out', tmp.file('cmd')], { out: () => undefined, err: (l) => errs.push(l) });
    expect(code).toBe(1);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^chiso provision: PROVISION_BAD_RESPONSE: .* aggregator\.keyId: a key id: 16 lowercase hex characters/);
    expect(existsSync(tmp.file('cmd'))).toBe(false);
  });
});
