import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `chiso status` shows: written by the gateway after every cycle, read by the technician's tool. */
export interface GatewayStatusReport {
  gatewayId: string;
  version: string;
  at: string;
  buses: { id: string; device: string; meters: number }[];
  tcpMeters: number;
  meters: { total: number; online: number; failing: number; offline: number };
  offline: { meterId: string; meteringPoint: string; since: string | null; lastError: string | null }[];
  problems: { meterId: string; code: string; message: string; at: string }[];
  openAnomalies: number;
  backlog: { count: number; bytes: number; oldestAt: string | null };
  central: { connected: boolean; lastAckAt: string | null };
  lastCycle: { kind: string; at: string; ok: number; failed: number } | null;
  /** The last outbox write that failed (STORE_DISK_FULL, STORE_CORRUPT …); null once writes succeed again. */
  store?: { code: string; message: string; at: string } | null;
  /** Meter clocks against the gateway's, from the last clock check. */
  clocks?: { meterId: string; offsetSeconds: number; invalid: boolean; at: string }[];
}

export const STATUS_FILE = 'status.json';

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeStatusFile(dataDir: string, report: GatewayStatusReport): void {
  const path = join(dataDir, STATUS_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${path}.tmp`, path);
}

export function readStatusFile(dataDir: string): GatewayStatusReport {
  return JSON.parse(readFileSync(join(dataDir, STATUS_FILE), 'utf8')) as GatewayStatusReport;
}
