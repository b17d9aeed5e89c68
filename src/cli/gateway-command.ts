import { loadGatewayConfig } from '../config/load-gateway-config.js';
import { ConfigError } from '../config/errors.js';
import { buildGateway } from '../gateway/service/gateway.js';
import { createLogger } from '../shared/logger.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { runUntilSignal } from './service-runner.js';
import { SIMULATED_CLOCK_USAGE, simulatedTimeFrom } from './simulated-time.js';

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'run the gateway service (poll meters, buffer, detect, sign and forward)',
  usage: `Usage: chiso gateway --config FILE [--check] [--simulated-clock FILE]

Runs the gateway until SIGTERM or Ctrl-C. Logs are JSON lines on stdout.
  --config FILE   the gateway's YAML/JSON configuration (see config/gateway.example.yaml)
  --check         only validate the configuration and print what it would poll, then exit
${SIMULATED_CLOCK_USAGE}`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, check: { type: 'boolean' }, 'simulated-clock': { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    let config;
    try {
      config = loadGatewayConfig(values.config);
    } catch (e) {
      if (e instanceof ConfigError) {
        io.err(`chiso gateway: the configuration is refused (${e.problems.length} problem(s)); nothing was started:\n${e.message}`);
        return 1;
      }
      throw e;
    }
    if (values.check) {
      io.out(`configuration OK: gateway ${config.gateway.id}, ${config.buses.length} bus(es), ${config.meters.length} meter(s), broker ${config.mqtt.url}`);
      return 0;
    }
    const logger = createLogger({ name: 'chiso-gateway', level: config.logLevel });
    const simulated = simulatedTimeFrom(values['simulated-clock']);
    const gateway = buildGateway(config, { logger, ...simulated });
    return runUntilSignal(gateway, logger);
  },
};
