import type { RunningGateway } from '../../../simulators/fleet/fleet.js';

/**
 * The gateway configuration a technician would write for one simulated substation: its buses, its meter
 * models (each with its own OBIS-to-BCS map), every meter with its address and password. HDLC links get
 * three retries: a noisy line spoils a frame now and then, and HDLC resends it (one retry left a meter whose
 * every fifth frame is spoiled unread at month end in the truth run).
 */
export function gatewayYamlFor(g: RunningGateway, options: { mqttUrl: string; mqttPassword: string; keyFile: string; dataDir: string; schedules: Record<string, string> }): string {
  const models = new Map<string, { obis: string; classId: number; bcs: string | null; unit: string }[]>();
  const meters = [...g.buses.flatMap((b) => b.meters), ...(g.tcp?.meters ?? [])].filter((m) => !m.removedAt);
  for (const m of meters) models.set(m.model, m.registers);
  const lines: string[] = [
    `gateway: { id: ${g.id}, unitCode: PD0100, substation: TBA-${g.id} }`,
    ...(g.buses.length === 0 ? ['buses: []'] : ['buses:']),
    ...g.buses.map((b) => `  - { id: ${b.id}, device: "${b.device}", baud: ${b.baud}, responseTimeoutMs: 500, maxRetries: 3 }`),
    'models:',
    ...[...models].map(
      ([name, regs]) => `  ${name}:\n    statusWord: true\n    eventLog: true\n    registers:\n${regs.map((r) => `      - { obis: ${r.obis}, classId: ${r.classId}, bcs: ${r.bcs ?? 'null'}, unit: ${r.unit} }`).join('\n')}`,
    ),
    'meters:',
  ];
  for (const m of meters) {
    const c = m.connection;
    const where =
      c.kind === 'bus'
        ? `bus: ${c.bus}, hdlcAddress: { physical: ${c.hdlc.physical} }`
        : c.wrapper
          ? `tcp: { host: ${c.host}, port: ${g.tcp!.port}, profile: wrapper, wPort: ${c.wPort}, responseTimeoutMs: 1500, maxRetries: 1 }`
          : `tcp: { host: ${c.host}, port: ${g.tcp!.port}, profile: hdlc, hdlcAddress: { physical: ${c.hdlc.physical} }, responseTimeoutMs: 1500, maxRetries: 3 }`;
    lines.push(
      `  - { id: ${m.id}, serial: "${m.serial}", meteringPoint: "${m.meteringPoint}", customerCode: "${m.customerCode}", bookCode: "${m.bookCode}", routeOrder: ${m.routeOrder}, model: ${m.model}, multiplier: "${m.multiplier}", importOnly: ${m.importOnly}, auth: { clientSap: 17, password: "${m.authentication.password}" }, ${where} }`,
    );
  }
  lines.push(
    `schedules: { ${Object.entries(options.schedules)
      .map(([k, v]) => `${k}: "${v}"`)
      .join(', ')} }`,
    'tcp: { maxParallel: 16 }',
    `mqtt: { url: "${options.mqttUrl}", password: "${options.mqttPassword}" }`,
    `keys: { privateKeyFile: "${options.keyFile}" }`,
    `dataDir: "${options.dataDir}"`,
    'metrics: false',
    'logLevel: warn',
  );
  return lines.join('\n') + '\n';
}
