import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, loadGatewayConfig, type GatewayConfig, type LoadOptions } from '../../src/config/index.js';

/**
 * A small valid gateway file: two models, a bus with two meters, one TCP wrapper meter. Tests break it
 * one way at a time with `edit` and check the exact message, line included (found with `lineOf`).
 */
export const BASE = `gateway:
  id: TBA-Test-01
  unitCode: PD0100
  substation: TEST0001
buses:
  - id: bus1
    device: /dev/ttyUSB0
models:
  house:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
  business:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
      - { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }
meters:
  - id: M1
    meteringPoint: PD01000000001001
    bookCode: B01
    routeOrder: 1
    model: house
    bus: bus1
    hdlcAddress: { physical: 17 }
    auth: { password: "11111111" }
  - id: M2
    meteringPoint: PD01000000002001
    bookCode: B01
    routeOrder: 2
    model: business
    bus: bus1
    hdlcAddress: { physical: 18 }
    auth: { passwordFile: meter.pwd }
  - id: M3
    meteringPoint: PD01000000003001
    model: house
    tcp: { host: 10.0.0.5, port: 4059, wPort: 1 }
    auth: { clientSap: 16 }
mqtt:
  url: mqtt://127.0.0.1:1883
keys:
  privateKeyFile: keys/gateway.key
dataDir: data
`;

/** Replaces one exact, unique piece of text (fails loudly if it is not there exactly once). */
export function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`fixture edit: ${JSON.stringify(from)} is not unique in the text`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** 1-based line of the first line containing `snippet`. */
export function lineOf(text: string, snippet: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(snippet));
  if (i < 0) throw new Error(`fixture: no line contains ${JSON.stringify(snippet)}`);
  return i + 1;
}

export interface Site {
  dir: string;
  path(name: string): string;
  write(name: string, content: string): string;
  /** Writes the config text as `name` and loads it. */
  load(text: string, options?: LoadOptions, name?: string): GatewayConfig;
  /** Like load, but expects a refusal and returns the ConfigError. */
  refuse(text: string, options?: LoadOptions, name?: string): ConfigError;
  cleanup(): void;
}

/** A temp folder laid out like an installation: the meter password file and the key file exist. */
export function site(): Site {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-config-'));
  const path = (name: string) => join(dir, name);
  const write = (name: string, content: string) => {
    mkdirSync(dirname(path(name)), { recursive: true });
    writeFileSync(path(name), content);
    return path(name);
  };
  write('meter.pwd', '22222222\n');
  write('keys/gateway.key', '-----BEGIN PRIVATE KEY-----\n');
  const load = (text: string, options: LoadOptions = {}, name = 'gateway.yaml') => loadGatewayConfig(write(name, text), { env: {}, ...options });
  return {
    dir,
    path,
    write,
    load,
    refuse(text, options, name) {
      try {
        load(text, options, name);
      } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
      }
      throw new Error('expected the configuration to be refused');
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
