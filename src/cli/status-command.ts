import { existsSync } from 'node:fs';
import { loadGatewayConfig } from '../config/load-gateway-config.js';
import { readStatusFile, STATUS_FILE } from '../gateway/service/status-file.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { join } from 'node:path';

export const statusCommand: Command = {
  name: 'status',
  summary: "show a gateway's health: buses, meters online/offline, backlog, contact with central",
  usage: `Usage: chiso status (--config FILE | --data-dir DIR) [--json]

Reads the status the running gateway writes after every cycle (DIR/${STATUS_FILE}).`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
    const dataDir = values['data-dir'] ?? (values.config ? loadGatewayConfig(values.config, { requireKeyFiles: false }).dataDir : undefined);
    if (!dataDir) throw new UsageError('give --config FILE or --data-dir DIR');
    if (!existsSync(join(dataDir, STATUS_FILE))) {
      io.err(`chiso status: no ${STATUS_FILE} in ${dataDir}: the gateway has not run there yet (or cannot write its data directory)`);
      return 1;
    }
    const s = readStatusFile(dataDir);
    if (values.json) {
      io.out(JSON.stringify(s));
      return 0;
    }
    io.out(`gateway ${s.gatewayId} (version ${s.version}), status as of ${s.at}`);
    io.out(`central: ${s.central.connected ? 'connected' : 'NOT connected'}; last acknowledgement ${s.central.lastAckAt ?? 'never'}`);
    io.out(`backlog: ${s.backlog.count} item(s), ${s.backlog.bytes} bytes, oldest ${s.backlog.oldestAt ?? '-'}`);
    io.out(`meters: ${s.meters.total} total, ${s.meters.online} online, ${s.meters.failing} failing, ${s.meters.offline} offline; ${s.openAnomalies} open anomalies`);
    for (const b of s.buses) io.out(`  bus ${b.id} on ${b.device}: ${b.meters} meter(s)`);
    if (s.tcpMeters) io.out(`  TCP: ${s.tcpMeters} meter(s)`);
    if (s.lastCycle) io.out(`last cycle: ${s.lastCycle.kind} at ${s.lastCycle.at}: ${s.lastCycle.ok} read, ${s.lastCycle.failed} failed`);
    for (const o of s.offline) io.out(`  OFFLINE ${o.meterId} (${o.meteringPoint}) since ${o.since ?? '?'}: ${o.lastError ?? ''}`);
    for (const p of s.problems) io.out(`  CONFIG ${p.meterId}: ${p.code} ${p.message}`);
    return 0;
  },
};
