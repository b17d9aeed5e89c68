import { CalendarSchema } from '../aggregator/calendar/reading-calendar.js';
import { centralDbPath } from '../aggregator/service/aggregator.js';
import { openCentralDb } from '../aggregator/store/central-db.js';
import { ConfigError } from '../config/errors.js';
import { loadAggregatorConfig } from '../config/load-aggregator-config.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { isValidGatewayId } from '../wire/topics.js';

export const enrolTokenCommand: Command = {
  name: 'enrol-token',
  summary: 'issue a one-time enrolment token for a gateway (operator, on the aggregator)',
  usage: `Usage: chiso enrol-token --config FILE --gateway ID [--ttl-hours N]

Issues a one-time enrolment token for gateway ID, directly in the aggregator's database (the aggregator
may be running), and prints it with its expiry. Give it to the technician who installs the gateway:
  chiso provision --aggregator http://HOST:PORT --token TOKEN --gateway-id ID --out DIR
  --config FILE     the aggregator's configuration (its dataDir holds the database)
  --gateway ID      the gateway the token is for (letters, digits, _ and -); it cannot enrol another
  --ttl-hours N     how long the token stays usable (enrolment.tokenTtlHours by default)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, gateway: { type: 'string' }, 'ttl-hours': { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    if (!values.gateway) throw new UsageError('--gateway ID is required');
    if (!isValidGatewayId(values.gateway)) throw new UsageError(`--gateway: ${JSON.stringify(values.gateway)} is not a gateway id (1 to 64 letters, digits, _ or -, starting with a letter or digit)`);
    let ttlHours: number | undefined;
    if (values['ttl-hours'] !== undefined) {
      ttlHours = Number(values['ttl-hours']);
      if (!(ttlHours > 0 && ttlHours <= 744)) throw new UsageError(`--ttl-hours must be a number of hours above 0, at most 744, got "${values['ttl-hours']}"`);
    }
    let config;
    try {
      config = loadAggregatorConfig(values.config, { calendarSchema: CalendarSchema, requireKeyFiles: false });
    } catch (e) {
      if (e instanceof ConfigError) {
        io.err(`chiso enrol-token: the configuration is refused (${e.problems.length} problem(s)):\n${e.message}`);
        return 1;
      }
      throw e;
    }
    const db = openCentralDb({ path: centralDbPath(config.dataDir) });
    try {
      const issued = db.enrolment.issue(values.gateway, Math.round((ttlHours ?? config.enrolment.tokenTtlHours) * 3_600_000), Date.now());
      const api = config.http.publicUrl ?? `http://${config.http.host === '0.0.0.0' ? 'AGGREGATOR-HOST' : config.http.host}:${config.http.port}`;
      io.out(`enrolment token for gateway ${issued.gatewayId} (one use, expires ${new Date(issued.expiresAt).toISOString()}):`);
      io.out(issued.token);
      io.out(`on the gateway: chiso provision --aggregator ${api} --token ${issued.token} --gateway-id ${issued.gatewayId} --out /etc/chiso`);
      return 0;
    } finally {
      db.close();
    }
  },
};
