import type { Fault } from '../meter/faults.js';
import { MS_PER_DAY, MS_PER_HOUR } from '../meter/local-time.js';
import { SimulatedMeter } from '../meter/meter-model.js';
import { hash01, hash32 } from '../meter/prng.js';
import { TOU_2014, TOU_2026, withValidFrom, type TouSchedule } from '../meter/tou.js';
import { customerAddress, customerName } from './customers.js';
import { FleetError } from './errors.js';
import { formatPath, meterPrefixOf, type FleetConfig } from './fleet-config.js';
import { parseIsoInstant } from './fleet-time.js';
import { meterFaultsOf, resolveFault, type PlannedFault } from './fault-plan.js';
import { modelOf, type MeterModel, type ProfileKind } from './meter-models.js';

/**
 * The fleet as data, before anything runs: every meter's identity (MA_CTO, serial, customer, metering
 * point, book and route position), where it is served (gateway, bus or TCP, slot), its consumption
 * profile and its faults. Pure and deterministic: the same file and seed give the same plan.
 */

export type MeterPlace =
  | { gateway: string; kind: 'bus'; bus: string; /** 1-based position on the bus: HDLC physical 16 + slot. */ slot: number }
  | { gateway: string; kind: 'tcp'; /** 1-based position on the server: wPort = slot. */ slot: number };

export interface PlannedMeter {
  /** MA_CTO: CT + gateway + 5 digits. */
  id: string;
  /** SERY_CTO */
  serial: string;
  seed: number;
  /** Global position (1-based), the key of everything drawn from the seed. */
  ordinal: number;
  profile: ProfileKind;
  /** Scale of the consumption profile against the kind's average. */
  profileScale: number;
  /** Seed of the consumption profile: a replacement meter keeps its customer's. */
  profileSeed: number;
  model: MeterModel;
  /** HSN (CT × PT). */
  multiplier: number;
  /** MA_KHANG */
  customerCode: string;
  customerName: string;
  address: string;
  /** MA_DDO */
  meteringPoint: string;
  /** MA_QUYEN */
  bookCode: string;
  /** MA_GC */
  routeOrder: number;
  /** MA_TRAM */
  station: string;
  /** MA_COT */
  pole: string;
  place: MeterPlace;
  installedAt: number;
  /** Set on a meter an announced swap removes. */
  removedAt?: number;
  initialIndexWh: number;
  /** Announced swap: the meter this one replaces / is replaced by. */
  replaces?: string;
  replacedBy?: string;
  faults: PlannedFault[];
  /** What the simulated meter is built with. */
  meterFaults: Fault[];
}

export interface PlannedBus {
  id: string;
  baud: number;
  meterIds: string[];
}

export interface PlannedGateway {
  id: string;
  buses: PlannedBus[];
  tcp?: { host: string; port: number; wrapper: boolean; meterIds: string[] };
}

export interface PlannedBook {
  code: string;
  gateway: string;
  station: string;
  /** Metering points in route order (a swap's two meters share one). */
  meteringPoints: string[];
}

export interface FleetPlan {
  config: FleetConfig;
  start: number;
  touSchedules: TouSchedule[];
  meters: PlannedMeter[];
  gateways: PlannedGateway[];
  books: PlannedBook[];
}

const TOU_BY_NAME: Record<string, TouSchedule> = { 'EVN-2014': TOU_2014, 'EVN-2026': TOU_2026 };

export function touSchedulesOf(config: FleetConfig): TouSchedule[] {
  return config.tou.map((t) => withValidFrom(TOU_BY_NAME[t.schedule]!, t.validFrom));
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function bad(path: (string | number)[], message: string): FleetError {
  const where = formatPath(path);
  return new FleetError('FLEET_BAD_CONFIG', `fleet config: ${where}: ${message}`, { context: { path: where } });
}

/** Seeded order of a list: sort by a hash of each key (stable across runs and platforms). */
function seededOrder<T>(items: readonly T[], key: (t: T) => number, seed: number, salt: number): T[] {
  return [...items].sort((a, b) => hash32(seed, key(a), salt) - hash32(seed, key(b), salt) || key(a) - key(b));
}

export function planFleet(config: FleetConfig): FleetPlan {
  const start = parseIsoInstant(config.start)!;
  const seed = config.seed;
  const touSchedules = touSchedulesOf(config);
  const meters: PlannedMeter[] = [];
  const gateways: PlannedGateway[] = [];
  const books: PlannedBook[] = [];
  let ordinal = 0;
  const perGateway = new Map<string, number>();

  const newMeter = (gatewayIndex: number, gatewayId: string, place: MeterPlace, pole: string): PlannedMeter => {
    ordinal++;
    const n = (perGateway.get(gatewayId) ?? 0) + 1;
    perGateway.set(gatewayId, n);
    const meterSeed = hash32(seed, ordinal, 1);
    const installedAt = Math.floor((start - (400 + (meterSeed % 700)) * MS_PER_DAY) / MS_PER_HOUR) * MS_PER_HOUR;
    const customerCode = `${config.unitCode}${pad(ordinal, 6)}`;
    return {
      id: `CT${meterPrefixOf(gatewayId)}${pad(n, 5)}`,
      serial: '',
      seed: meterSeed,
      ordinal,
      profile: 'household',
      profileScale: 0.6 + hash01(seed, ordinal, 2),
      profileSeed: meterSeed,
      model: modelOf('household'),
      multiplier: 1,
      customerCode,
      customerName: '',
      address: customerAddress(seed, ordinal),
      meteringPoint: `${customerCode}001`,
      bookCode: '',
      routeOrder: 0,
      station: `${config.unitCode.slice(0, 4)}T${pad(gatewayIndex, 4)}`,
      pole,
      place,
      installedAt,
      initialIndexWh: 0,
      faults: [],
      meterFaults: [],
    };
  };

  // 1. Where each meter is: buses first, then TCP, in file order.
  config.gateways.forEach((g, gi) => {
    const planned: PlannedGateway = { id: g.id, buses: [] };
    g.buses.forEach((b, bi) => {
      const ids: string[] = [];
      for (let slot = 1; slot <= b.meters; slot++) {
        const m = newMeter(gi + 1, g.id, { gateway: g.id, kind: 'bus', bus: b.id, slot }, `T${pad(bi + 1, 2)}/${pad(slot, 2)}`);
        meters.push(m);
        ids.push(m.id);
      }
      planned.buses.push({ id: b.id, baud: b.baud, meterIds: ids });
    });
    if (g.tcp) {
      const ids: string[] = [];
      for (let slot = 1; slot <= g.tcp.meters; slot++) {
        const m = newMeter(gi + 1, g.id, { gateway: g.id, kind: 'tcp', slot }, `RF/${pad(slot, 3)}`);
        meters.push(m);
        ids.push(m.id);
      }
      planned.tcp = { host: g.tcp.host, port: g.tcp.port, wrapper: g.tcp.wrapper, meterIds: ids };
    }
    gateways.push(planned);
  });

  // 2. Households and businesses in the configured shares (exact counts, seeded choice).
  const share = config.profiles.business / (config.profiles.business + config.profiles.household);
  const businessCount = Math.round(meters.length * share);
  const business = new Set(seededOrder(meters, (m) => m.ordinal, seed, 0xb5).slice(0, businessCount).map((m) => m.id));
  for (const m of meters) {
    const kind: ProfileKind = business.has(m.id) ? 'business' : 'household';
    m.profile = kind;
    m.model = modelOf(kind);
    m.customerName = customerName(seed, m.ordinal, kind);
    // One business in three is metered through current transformers (HSN 40): its meter counts 1/40.
    m.multiplier = kind === 'business' && hash32(seed, m.ordinal, 3) % 3 === 0 ? 40 : 1;
    if (m.multiplier > 1) m.profileScale /= 20;
    const installYear = new Date(m.installedAt).getUTCFullYear() % 100;
    m.serial = `${pad(installYear, 2)}${kind === 'business' ? 3 : 1}${pad(m.ordinal, 5)}`;
    const kwh = kind === 'business' ? 10_000 + (m.seed % 140_000) : 2_000 + (m.seed % 28_000);
    m.initialIndexWh = kwh * 1000;
  }

  // 3. Books: each gateway's meters in route order, metersPerBook to a book.
  gateways.forEach((g, gi) => {
    const ids = [...g.buses.flatMap((b) => b.meterIds), ...(g.tcp?.meterIds ?? [])];
    for (let i = 0; i < ids.length; i += config.books.metersPerBook) {
      const code = `D${pad(gi + 1, 2)}${pad(i / config.books.metersPerBook + 1, 4)}`;
      const chunk = ids.slice(i, i + config.books.metersPerBook).map((id) => meters.find((m) => m.id === id)!);
      chunk.forEach((m, k) => {
        m.bookCode = code;
        m.routeOrder = k + 1;
      });
      books.push({ code, gateway: g.id, station: chunk[0]!.station, meteringPoints: chunk.map((m) => m.meteringPoint) });
    }
  });

  assignFaults(config, start, meters, gateways);
  for (const m of [...meters]) {
    for (const f of m.faults) {
      if (f.kind === 'rollover') placeRollover(m, f, touSchedules);
      if (f.kind === 'swap') meters.push(swapIn(m, f, ++ordinal, perGateway, gateways, seed));
    }
    m.meterFaults = m.faults.flatMap((f) => meterFaultsOf(f, registerDigitsOf(m, f)));
  }
  return { config, start, touSchedules, meters, gateways, books };
}

/** Rollover digits are given in kWh; the register counts 10^scaler Wh. */
function registerDigitsOf(m: PlannedMeter, f: PlannedFault): number {
  return f.kind === 'rollover' ? (f.params.digits as number) + 3 - m.model.scalerWh : 0;
}

function assignFaults(config: FleetConfig, start: number, meters: PlannedMeter[], gateways: PlannedGateway[]): void {
  const seed = config.seed;
  const byId = new Map(meters.map((m) => [m.id, m]));
  const onCutBus = new Set<string>();
  const cutBuses = new Set<string>();
  const allBuses = gateways.flatMap((g) => g.buses.map((b) => ({ key: `${g.id}/${b.id}`, bus: b })));
  // Spoiled frames are a line fault that only HDLC's frame check can catch. The wrapper runs over TCP, whose
  // own checksum drops a spoiled segment: a flipped byte inside a wrapper APDU cannot happen on a real link
  // and, undetectable, would read as a wrong index, a tamper bit or a bad clock.
  const wrapperTcp = new Set(gateways.filter((g) => g.tcp?.wrapper === true).map((g) => g.id));
  const hdlcFramed = (m: PlannedMeter) => m.place.kind === 'bus' || !wrapperTcp.has(m.place.gateway);

  // Bus cuts first: they take whole buses, whose meters then get no other spread fault.
  config.faults.forEach((f, fi) => {
    if (f.kind !== 'bus-cut') return;
    let chosen: typeof allBuses;
    if (f.buses) {
      chosen = f.buses.map((key, j) => {
        const hit = allBuses.find((b) => b.key === key);
        if (!hit) throw bad(['faults', fi, 'buses', j], `no bus "${key}" (buses: ${allBuses.map((b) => b.key).join(', ') || 'none'})`);
        return hit;
      });
    } else {
      const free = allBuses.filter((b) => !cutBuses.has(b.key));
      if (free.length < f.count!) throw bad(['faults', fi, 'count'], `${f.count} bus(es) to cut but only ${free.length} left`);
      chosen = seededOrder(free, (b) => allBuses.indexOf(b), seed, 0xb0 + fi).slice(0, f.count);
    }
    for (const b of chosen) {
      cutBuses.add(b.key);
      const key = allBuses.indexOf(b) + 1;
      for (const id of b.bus.meterIds) {
        const planned = resolveFault(f, fi, seed, start, 1_000_000 + key);
        planned.bus = b.key;
        byId.get(id)!.faults.push(planned);
        onCutBus.add(id);
      }
    }
  });
  // Then the meters named explicitly: they may carry several faults.
  config.faults.forEach((f, fi) => {
    if (f.kind === 'bus-cut' || !f.meters) return;
    f.meters.forEach((id, j) => {
      const m = byId.get(id);
      if (!m) throw bad(['faults', fi, 'meters', j], `no meter "${id}" in the fleet (ids look like ${meters[0]?.id ?? 'CT…'})`);
      if (f.kind === 'swap' && m.faults.some((x) => x.kind === 'swap')) throw bad(['faults', fi, 'meters', j], `meter "${id}" is already swapped`);
      if (f.kind === 'corrupt' && !hdlcFramed(m)) throw bad(['faults', fi, 'meters', j], `meter "${id}" speaks the TCP wrapper: corrupt frames need HDLC (a bus, or a gateway with tcp.wrapper false)`);
      m.faults.push(resolveFault(f, fi, seed, start, m.ordinal));
    });
  });
  // Then the counts, each on meters that have no fault yet.
  config.faults.forEach((f, fi) => {
    if (f.kind === 'bus-cut' || f.count === undefined) return;
    const free = meters.filter((m) => m.faults.length === 0 && !onCutBus.has(m.id) && (f.kind !== 'corrupt' || hdlcFramed(m)));
    if (free.length < f.count) throw bad(['faults', fi, 'count'], `${f.count} meter(s) for "${f.kind}" but only ${free.length} meter(s) without a fault${f.kind === 'corrupt' ? ' and with HDLC framing' : ''} are left`);
    for (const m of seededOrder(free, (x) => x.ordinal, seed, 0xf0 + fi).slice(0, f.count)) m.faults.push(resolveFault(f, fi, seed, start, m.ordinal));
  });
}

/**
 * Chooses the meter's initial index so that its total register reaches 10^digits exactly at the
 * fault's instant: the wrap happens then, as it would on a meter that has counted for years.
 */
function placeRollover(m: PlannedMeter, f: PlannedFault, touSchedules: TouSchedule[]): void {
  const unitWh = 10 ** m.model.scalerWh;
  const modulus = 10 ** registerDigitsOf(m, f);
  const probe = new SimulatedMeter({
    serial: m.serial,
    seed: m.seed,
    profile: { kind: m.profile, seed: m.profileSeed, scale: m.profileScale },
    installedAt: m.installedAt,
    scalerWh: m.model.scalerWh,
    tariffMap: m.model.tariffMap,
    touSchedules,
    timeSource: () => f.from!,
  });
  const counted = probe.registersAt(f.from!).importTotal;
  if (counted >= modulus) throw bad(['faults', f.configIndex, 'params', 'digits'], `meter ${m.id} counts ${counted} units by the wrap, more than 10^${registerDigitsOf(m, f)}: use more digits`);
  m.initialIndexWh = (modulus - counted) * unitWh;
}

/** The meter an announced swap installs: same customer, point, book and place, a new id and serial. */
function swapIn(old: PlannedMeter, f: PlannedFault, ordinal: number, perGateway: Map<string, number>, gateways: PlannedGateway[], seed: number): PlannedMeter {
  const gw = gateways.find((g) => g.id === old.place.gateway)!;
  const n = (perGateway.get(gw.id) ?? 0) + 1;
  perGateway.set(gw.id, n);
  const list = old.place.kind === 'bus' ? gw.buses.find((b) => b.id === (old.place as { bus: string }).bus)!.meterIds : gw.tcp!.meterIds;
  const id = `CT${meterPrefixOf(gw.id)}${pad(n, 5)}`;
  list.push(id);
  const installedAt = f.from!;
  old.removedAt = installedAt;
  old.replacedBy = id;
  const installYear = new Date(installedAt).getUTCFullYear() % 100;
  return {
    ...old,
    id,
    serial: `${pad(installYear, 2)}${old.profile === 'business' ? 3 : 1}${pad(ordinal, 5)}`,
    seed: hash32(seed, ordinal, 1),
    ordinal,
    place: { ...old.place, slot: list.length },
    installedAt,
    removedAt: undefined,
    initialIndexWh: (f.params.firstIndexKwh as number) * 1000,
    replaces: old.id,
    replacedBy: undefined,
    faults: [],
    // Not there before it is installed.
    meterFaults: [{ kind: 'silent', until: installedAt }],
  } as PlannedMeter;
}
