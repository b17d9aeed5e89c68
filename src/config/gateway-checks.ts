import { describeFound, formatPath, type ValuePath } from './describe.js';
import type { ConfigProblem } from './errors.js';
import {
  AuthFileSchema,
  BusFileSchema,
  ClockSyncFileSchema,
  KeysFileSchema,
  MeterFileSchema,
  ModelFileSchema,
  MqttFileSchema,
  type AuthFile,
  type BusFile,
  type MeterFile,
  type ModelFile,
} from './gateway-schema.js';
import type { z } from 'zod';

/**
 * Checks across sections: references (a meter's model and bus exist) and uniqueness (ids, bus addresses,
 * metering-point registers, route order). They run on every part of the file that is valid by itself, so
 * one bad meter does not hide a duplicate address between two others: the technician gets the whole list.
 */

export interface Sections {
  /** Model names present in the file, valid or not (a bad register must not make meters' references fail too). */
  modelNames: string[];
  models: Map<string, ModelFile>;
  /** Bus ids present in the file, valid or not. */
  busIds: string[];
  /** Parsed buses by index; undefined where the bus itself is invalid. */
  buses: (BusFile | undefined)[];
  meters: (MeterFile | undefined)[];
  /** Each meter's auth section on its own, so a bad address does not hide a missing password file. */
  meterAuth: (AuthFile | undefined)[];
  mqtt: z.output<typeof MqttFileSchema> | undefined;
  keys: z.output<typeof KeysFileSchema> | undefined;
  clockSync: z.output<typeof ClockSyncFileSchema> | undefined;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const parsed = <T>(schema: z.ZodType<T>, v: unknown): T | undefined => {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
};

/** Each section (and each list element) parsed on its own, keeping what is valid. */
export function salvageSections(root: unknown): Sections {
  const r = isMapping(root) ? root : {};
  const models = new Map<string, ModelFile>();
  const modelNames = isMapping(r.models) ? Object.keys(r.models) : [];
  for (const name of modelNames) {
    const m = parsed(ModelFileSchema, (r.models as Record<string, unknown>)[name]);
    if (m) models.set(name, m);
  }
  const rawBuses = list(r.buses);
  return {
    modelNames,
    models,
    busIds: rawBuses.flatMap((b) => (isMapping(b) && typeof b.id === 'string' ? [b.id] : [])),
    buses: rawBuses.map((b) => parsed(BusFileSchema, b)),
    meters: list(r.meters).map((m) => parsed(MeterFileSchema, m)),
    meterAuth: list(r.meters).map((m) => (isMapping(m) ? parsed(AuthFileSchema, m.auth ?? {}) : undefined)),
    mqtt: parsed(MqttFileSchema, r.mqtt),
    keys: parsed(KeysFileSchema, r.keys),
    clockSync: parsed(ClockSyncFileSchema, r.clockSync ?? {}),
  };
}

type Located = ConfigProblem & { valuePath: ValuePath };

function problem(valuePath: ValuePath, found: string, expected: string): Located {
  return { valuePath, path: formatPath(valuePath), found, expected };
}

/** Reports the second and later holders of a key, naming the first. */
class FirstHolder {
  private readonly seen = new Map<string, string>();
  /** The first holder's name when `key` is taken, else records `holder` and answers undefined. */
  claim(key: string, holder: string): string | undefined {
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, holder);
    return first;
  }
}

export function crossCheck(s: Sections): Located[] {
  const out: Located[] = [];
  checkBuses(s, out);
  const ids = new FirstHolder();
  const serials = new FirstHolder();
  const busAddresses = new FirstHolder();
  const tcpEndpoints = new FirstHolder();
  const pointRegisters = new FirstHolder();
  const routes = new FirstHolder();

  s.meters.forEach((m, i) => {
    if (m === undefined) return;
    const at = (...p: PropertyKey[]): ValuePath => ['meters', i, ...p];
    const me = `meters[${i}]`;

    if (!s.modelNames.includes(m.model)) {
      out.push(problem(at('model'), describeFound(m.model), s.modelNames.length === 0 ? 'a model from the models section (it has none)' : `one of the models ${s.modelNames.join(', ')}`));
    }
    if (m.bus !== undefined && !s.busIds.includes(m.bus)) {
      out.push(problem(at('bus'), describeFound(m.bus), s.busIds.length === 0 ? 'a bus from the buses section (it has none)' : `one of the buses ${s.busIds.join(', ')}`));
    }

    const sameId = ids.claim(m.id, me);
    if (sameId) out.push(problem(at('id'), `${describeFound(m.id)}, already used by ${sameId}`, 'a unique meter id'));
    if (m.serial !== undefined) {
      const sameSerial = serials.claim(m.serial, me);
      if (sameSerial) out.push(problem(at('serial'), `${describeFound(m.serial)}, already used by ${sameSerial}`, 'a unique serial number'));
    }

    if (m.bus !== undefined && m.hdlcAddress !== undefined) {
      const a = m.hdlcAddress;
      const field = a.physical === undefined ? 'logical' : 'physical';
      const value = a.physical ?? a.logical;
      const first = busAddresses.claim(`${m.bus}\u0000${field}\u0000${value}`, me);
      if (first) out.push(problem(at('hdlcAddress', field), `${value}, already used on bus ${m.bus} by ${first}`, 'a unique address on the bus'));
    }
    if (m.tcp !== undefined) {
      const t = m.tcp;
      const target = t.profile === 'wrapper' ? `wPort ${t.wPort}` : `hdlc ${t.hdlcAddress?.logical}/${t.hdlcAddress?.physical}`;
      const first = tcpEndpoints.claim(`${t.host.toLowerCase()}:${t.port} ${target}`, me);
      if (first) out.push(problem(at('tcp'), `${t.host}:${t.port} ${target}, already used by ${first}`, 'a unique host, port and address'));
    }

    // CMIS refuses two periodic reads of one metering point and register (DOMAIN.md): one meter per BCS.
    for (const r of s.models.get(m.model)?.registers ?? []) {
      if (r.bcs === null) continue;
      const first = pointRegisters.claim(`${m.meteringPoint}\u0000${r.bcs}`, me);
      if (first) {
        out.push(problem(at('meteringPoint'), `${describeFound(m.meteringPoint)}, whose ${r.bcs} register is already read by ${first}`, 'each register (BCS) of a metering point read by one meter'));
        break;
      }
    }

    if (m.bookCode !== undefined && m.routeOrder !== undefined) {
      const first = routes.claim(`${m.bookCode}\u0000${m.routeOrder}`, me);
      if (first) out.push(problem(at('routeOrder'), `${m.routeOrder}, already used in book ${m.bookCode} by ${first}`, 'a unique route order within the book'));
    }
  });
  return out;
}

function checkBuses(s: Sections, out: Located[]): void {
  const ids = new FirstHolder();
  const devices = new FirstHolder();
  s.buses.forEach((b, i) => {
    if (b === undefined) return;
    const first = ids.claim(b.id, `buses[${i}]`);
    if (first) out.push(problem(['buses', i, 'id'], `${describeFound(b.id)}, already used by ${first}`, 'a unique bus id'));
    // Two buses on one port would interleave their frames on one half-duplex line.
    const dev = devices.claim(b.device, `buses[${i}]`);
    if (dev) out.push(problem(['buses', i, 'device'], `${describeFound(b.device)}, already used by ${dev}`, 'one bus per serial device'));
  });
}
