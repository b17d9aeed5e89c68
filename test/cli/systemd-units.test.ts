import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serviceLaunch } from '../../scripts/bench/service-launch.js';

/**
 * The two systemd units as shipped: hardened as issue 3 and 4 ask, writing only where the example configs
 * keep their data, and started with node options this node accepts (a mistyped V8 flag would leave the
 * service restarting in a loop on every gateway).
 */
const unitText = (name: string) => readFileSync(new URL(`../../systemd/${name}`, import.meta.url), 'utf8');
function unit(name: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const line of unitText(name).split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
  }
  return directives;
}
const one = (u: Map<string, string[]>, key: string) => {
  const values = u.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0]!;
};
const exampleConfig = (name: string) => parse(readFileSync(new URL(`../../config/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe.each([
  { file: 'chiso-gateway.service', service: 'gateway', config: 'gateway.example.yaml' },
  { file: 'chiso-aggregator.service', service: 'aggregator', config: 'aggregator.example.yaml' },
])('$file', ({ file, service, config }) => {
  const u = unit(file);

  it('runs the service as its own user, restarts it on failure, and reads its config from /etc/chiso', () => {
    expect(one(u, 'User')).not.toBe('root');
    expect(one(u, 'Restart')).toBe('on-failure');
    const exec = one(u, 'ExecStart').split(/\s+/);
    expect(exec[0]).toBe('/usr/bin/node');
    expect(exec.slice(-4)).toEqual(['/opt/chiso/bin/chiso.js', service, '--config', `/etc/chiso/${service}.yaml`]);
  });

  it('is hardened: no new privileges, no capabilities, a read-only system, writes only to its data directory', () => {
    for (const [key, value] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '' })) {
      expect(one(u, key), key).toBe(value);
    }
    expect(one(u, 'ReadOnlyPaths')).toBe('/etc/chiso');
    const dataDir = exampleConfig(config)['dataDir'];
    expect(one(u, 'ReadWritePaths')).toBe(dataDir);
    // systemd makes the state directory (owned by the service user) under /var/lib.
    expect(`/var/lib/${one(u, 'StateDirectory')}`).toBe(dataDir);
    const books = exampleConfig(config)['books'] as { importDir?: string; exportDir?: string } | undefined;
    for (const dir of [books?.importDir, books?.exportDir]) if (dir !== undefined) expect(dir.startsWith(`${String(dataDir)}/`), dir).toBe(true);
  });

  it('starts node with options and an environment this node accepts', () => {
    const { nodeArgs, env } = serviceLaunch(unitText(file));
    for (const k of Object.keys(env)) expect(k).toMatch(/^[A-Z_][A-Z0-9_]*$/);
    const run = spawnSync(process.execPath, [...nodeArgs, '-e', 'process.stdout.write("ok")'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr.replace(/^Warning: disabling flag --expose_wasm.*\n/m, '')).toBe('');
    expect(run.stdout).toBe('ok');
    expect(run.status).toBe(0);
  });
});

describe('chiso-gateway.service', () => {
  it('reaches the RS485 ports through the dialout group and the serial devices only', () => {
    const u = unit('chiso-gateway.service');
    expect(one(u, 'SupplementaryGroups')).toBe('dialout');
    expect(one(u, 'DevicePolicy')).toBe('closed');
    expect((u.get('DeviceAllow') ?? []).sort()).toEqual(['char-ttyACM rw', 'char-ttyAMA rw', 'char-ttyS rw', 'char-ttyUSB rw']);
  });
});
