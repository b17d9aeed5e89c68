import { CalendarSchema } from '../aggregator/calendar/reading-calendar.js';
import { buildAggregator } from '../aggregator/service/aggregator.js';
import { ConfigError } from '../config/errors.js';
import { loadAggregatorConfig } from '../config/load-aggregator-config.js';
import { createLogger } from '../shared/logger.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { SIMULATED_CLOCK_USAGE, simulatedTimeFrom } from './simulated-time.js';
import { runUntilSignal } from './service-runner.js';

export const aggregatorCommand: Command = {
  name: 'aggregator',
  summary: 'run the aggregator service (MQTT broker, verified ingest, HTTP API, metrics)',
  usage: `Usage: chiso aggregator --config FILE [--check] [--simulated-clock FILE]

Runs the aggregator until SIGTERM or Ctrl-C. Logs are JSON lines on stdout.
  --config FILE   the aggregator's YAML/JSON configuration (see config/aggregator.example.yaml)
  --check         only validate the configuration and print a summary, then exit
${SIMULATED_CLOCK_USAGE}`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, check: { type: 'boolean' }, 'simulated-clock': { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    let config;
    try {
      config = loadAggregatorConfig(values.config, { calendarSchema: CalendarSchema });
    } catch (e) {
      if (e instanceof ConfigError) {
        io.err(`chiso aggregator: the configuration is refused (${e.problems.length} problem(s)); nothing was started:\n${e.message}`);
        return 1;
      }
      throw e;
    }
    if (values.check) {
      const b = config.broker;
      const broker = b.embedded ? `embedded broker on ${b.host}:${b.port}${b.tls ? ` and TLS ${b.tls.port}` : ''}` : `external broker ${b.url}`;
      io.out(
        `configuration OK: aggregator "${config.aggregator.name}", ${broker}, HTTP API on ${config.http.host}:${config.http.port}` +
          `${config.http.adminToken === undefined ? ' (operator endpoints off: no admin token)' : ''}, data in ${config.dataDir}`,
      );
      return 0;
    }
    const logger = createLogger({ name: 'chiso-aggregator', level: config.logLevel });
    const simulated = simulatedTimeFrom(values['simulated-clock']);
    const aggregator = buildAggregator(config, { logger, ...simulated });
    return runUntilSignal(aggregator, logger);
  },
};
