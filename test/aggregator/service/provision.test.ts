import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolTokenCommand } from '../../../src/cli/enrol-command.js';
import { provisionCommand, provisionGateway } from '../../../src/cli/provision-command.js';
import type { CommandIo } from '../../../src/shared/command-line.js';
import { chisoBin, root, runToEnd } from '../../support/processes.js';
import { buildIfStale, configText, startTestAggregator, type Running } from './helpers.js';

function capture(): CommandIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l) };
}

/** A port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('provisioning a gateway', () => {
  let a: Running;
  const issue = (gatewayId: string, ttlMs = 60_000, now = Date.now()) => a.agg.db.enrolment.issue(gatewayId, ttlMs, now).token;

  beforeAll(async () => {
    a = await startTestAggregator();
  });
  afterAll(async () => {
    await a?.close();
  });

  it('refuses a bad gateway id and a non-http aggregator URL before anything else', async () => {
    await expect(provisionGateway({ aggregatorUrl: a.apiUrl, token: 't', gatewayId: 'gw/1', outDir: join(a.dir, 'x') })).rejects.toMatchObject({ code: 'PROVISION_BAD_ID' });
    await expect(provisionGateway({ aggregatorUrl: a.mqttUrl, token: 't', gatewayId: 'GW-1', outDir: join(a.dir, 'x') })).rejects.toMatchObject({ code: 'PROVISION_BAD_URL' });
    expect(existsSync(join(a.dir, 'x'))).toBe(false);
    const io = capture();
    await expect(provisionCommand.run(['--aggregator', a.apiUrl, '--token', 't', '--gateway-id', 'bad id', '--out', join(a.dir, 'x')], io)).rejects.toThrow(/not a gateway id/);
  });

  it('says the aggregator is unreachable, and writes nothing', async () => {
    const port = await closedPort();
    const out = join(a.dir, 'unreachable');
    const e = await provisionGateway({ aggregatorUrl: `http://127.0.0.1:${port}`, token: 't', gatewayId: 'GW-U', outDir: out }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PROVISION_UNREACHABLE' });
    expect((e as Error).message).toBe(`cannot reach the aggregator at http://127.0.0.1:${port} (ECONNREFUSED); check the address, the port and the network`);
    expect(existsSync(out)).toBe(false);
  });

  it('says an expired, unknown or foreign token is one, with what to do', async () => {
    const expired = issue('GW-E', 1_000, Date.now() - 10_000);
    const e = await provisionGateway({ aggregatorUrl: a.apiUrl, token: expired, gatewayId: 'GW-E', outDir: join(a.dir, 'e') }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PROVISION_TOKEN_EXPIRED' });
    expect((e as Error).message).toMatch(/^the aggregator refused the enrolment \(API_TOKEN_EXPIRED\): enrolment of GW-E: the token expired at .*; ask the operator for a new token \(chiso enrol-token\)$/);
    await expect(provisionGateway({ aggregatorUrl: a.apiUrl, token: 'no-such-token', gatewayId: 'GW-E', outDir: join(a.dir, 'e') })).rejects.toMatchObject({ code: 'PROVISION_TOKEN_UNKNOWN' });
    await expect(provisionGateway({ aggregatorUrl: a.apiUrl, token: issue('GW-F'), gatewayId: 'GW-E', outDir: join(a.dir, 'e') })).rejects.toMatchObject({ code: 'PROVISION_TOKEN_GATEWAY' });
    expect(existsSync(join(a.dir, 'e'))).toBe(false);
    expect(a.agg.db.gateways.exists('GW-E')).toBe(false);
  });

  it('refuses to overwrite a key without --force; with --force it enrols a new key and keeps the edited config', async () => {
    const out = join(a.dir, 'rotate');
    const first = await provisionGateway({ aggregatorUrl: a.apiUrl, token: issue('GW-R'), gatewayId: 'GW-R', outDir: out });
    const edited = readFileSync(first.files.config, 'utf8').replace('name: TBA Cầu Giấy 15', 'name: Trạm đã sửa');
    writeFileSync(first.files.config, edited);
    const keyBefore = readFileSync(first.files.privateKey, 'utf8');

    const token = issue('GW-R');
    const refused = await provisionGateway({ aggregatorUrl: a.apiUrl, token, gatewayId: 'GW-R', outDir: out }).catch((x: unknown) => x);
    expect(refused).toMatchObject({ code: 'PROVISION_EXISTS' });
    expect(readFileSync(first.files.privateKey, 'utf8')).toBe(keyBefore);

    const second = await provisionGateway({ aggregatorUrl: a.apiUrl, token, gatewayId: 'GW-R', outDir: out, force: true });
    expect(second.keyId).not.toBe(first.keyId);
    expect(readFileSync(second.files.privateKey, 'utf8')).not.toBe(keyBefore);
    expect(statSync(second.files.privateKey).mode & 0o777).toBe(0o600);
    expect(readFileSync(second.files.config, 'utf8')).toContain('name: Trạm đã sửa');
    expect(a.agg.db.gateways.keys('GW-R').map((k) => k.keyId).sort()).toEqual([first.keyId, second.keyId].sort());
  });

  it('chiso enrol-token issues a token in the central DB that provision accepts', async () => {
    const configFile = join(a.dir, 'aggregator.yaml');
    writeFileSync(configFile, configText(a.dir));
    const io = capture();
    expect(await enrolTokenCommand.run(['--config', configFile, '--gateway', 'GW-CLI', '--ttl-hours', '2'], io)).toBe(0);
    expect(io.outs[0]).toMatch(/^enrolment token for gateway GW-CLI \(one use, expires \d{4}-\d\d-\d\dT.*Z\):$/);
    const token = io.outs[1]!;
    expect(io.outs[2]).toContain(`--token ${token} --gateway-id GW-CLI`);
    const result = await provisionGateway({ aggregatorUrl: a.apiUrl, token, gatewayId: 'GW-CLI', outDir: join(a.dir, 'cli') });
    expect(result.gatewayId).toBe('GW-CLI');
    await expect(enrolTokenCommand.run(['--config', configFile, '--gateway', 'x/y'], capture())).rejects.toThrow(/not a gateway id/);
  });
});

describe('node bin/chiso.js provision (the compiled program, as a technician runs it)', () => {
  let a: Running;
  let viaMain = false;

  beforeAll(async () => {
    const built = join(root, 'dist/src/cli/provision-command.js');
    buildIfStale();
    expect(existsSync(built)).toBe(true);
    viaMain = readFileSync(join(root, 'dist/src/cli/main.js'), 'utf8').includes('provision-command');
    a = await startTestAggregator();
  }, 120_000);
  afterAll(async () => {
    await a?.close();
  });

  it('enrols, writes the files, and exits 0; a second use of the token exits 1 naming the token', async () => {
    const token = a.agg.db.enrolment.issue('GW-PROC', 60_000, Date.now()).token;
    const out = join(a.dir, 'proc');
    const args = ['provision', '--aggregator', a.apiUrl, '--token', token, '--gateway-id', 'GW-PROC', '--out', out];
    // Until src/cli/main.ts registers the command, run the same compiled command through runCommandLine.
    const launcher = viaMain ? chisoBin : join(a.dir, 'run-provision.mjs');
    if (!viaMain) {
      writeFileSync(
        launcher,
        `import { runCommandLine } from ${JSON.stringify(join(root, 'dist/src/shared/command-line.js'))};
import { provisionCommand } from ${JSON.stringify(join(root, 'dist/src/cli/provision-command.js'))};
process.exitCode = await runCommandLine('chiso', 'test', [provisionCommand], process.argv.slice(2));\n`,
      );
    }
    const run = await runToEnd(launcher, args);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^enrolled gateway GW-PROC \(key [0-9a-f]{16}\); broker mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(readdirSync(out).sort()).toEqual(['gateway.yaml', 'keys', 'secrets']);
    expect(statSync(join(out, 'keys/gateway.key')).mode & 0o777).toBe(0o600);
    expect(run.out).toContain('still to fill in before "chiso gateway --config ' + join(out, 'gateway.yaml') + '" starts:');

    const again = await runToEnd(launcher, [...args.slice(0, -1), join(a.dir, 'proc2')]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^chiso provision: PROVISION_TOKEN_USED: the aggregator refused the enrolment \(API_TOKEN_USED\)/);
    expect(existsSync(join(a.dir, 'proc2'))).toBe(false);
  });
});
