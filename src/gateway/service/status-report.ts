import type { Backlog } from '../../store/outbox-types.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { MeterStatus } from '../detection/index.js';
import type { StoreProblem } from './outbox-writer.js';
import type { GatewayStatusReport } from './status-file.js';

/** What the gateway knows at one moment, as the status report needs it. */
export interface StatusInputs {
  config: GatewayConfig;
  version: string;
  now: number;
  statuses: readonly MeterStatus[];
  backlog: Backlog;
  problems: ReadonlyMap<string, { code: string; message: string; at: string }>;
  /** The forwarder's link to central; undefined before start. */
  central: { connected: boolean; lastAckAt: number | null } | undefined;
  lastCycle: { kind: string; at: number; ok: number; failed: number } | undefined;
  storeProblem: StoreProblem | null;
  clocks: ReadonlyMap<string, { offsetSeconds: number; invalid: boolean; at: string }>;
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

/** The report `chiso status` shows (status.json): pure, from what the gateway holds. */
export function statusReport(s: StatusInputs): GatewayStatusReport {
  const { config, statuses } = s;
  const byState = (state: string) => statuses.filter((m) => m.reachability.status === state);
  return {
    gatewayId: config.gateway.id,
    version: s.version,
    at: new Date(s.now).toISOString(),
    buses: config.buses.map((b) => ({ id: b.id, device: b.device, meters: config.meters.filter((m) => m.connection.kind === 'bus' && m.connection.bus === b.id).length })),
    tcpMeters: config.meters.filter((m) => m.connection.kind === 'tcp').length,
    meters: { total: statuses.length, online: byState('online').length, failing: byState('failing').length, offline: byState('offline').length },
    offline: byState('offline').map((m) => ({ meterId: m.meter.id, meteringPoint: m.meter.meteringPoint, since: m.reachability.failingSince ? iso(m.reachability.failingSince) : null, lastError: m.reachability.lastError })),
    problems: [...s.problems].map(([meterId, p]) => ({ meterId, ...p })),
    openAnomalies: statuses.reduce((n, m) => n + Object.keys(m.anomalies.open).length, 0),
    backlog: { count: s.backlog.count, bytes: s.backlog.bytes, oldestAt: iso(s.backlog.oldestCreatedAt) },
    central: s.central ? { connected: s.central.connected, lastAckAt: iso(s.central.lastAckAt) } : { connected: false, lastAckAt: null },
    lastCycle: s.lastCycle ? { ...s.lastCycle, at: new Date(s.lastCycle.at).toISOString() } : null,
    store: s.storeProblem,
    clocks: [...s.clocks].map(([meterId, c]) => ({ meterId, ...c })),
  };
}
