import { runCommandLine, type Command } from '../shared/command-line.js';

/**
 * Each command is loaded only when it runs: the gateway on a Pi must not carry the aggregator, the demo
 * and the simulators in its memory (the whole set costs tens of MB resident). `chiso --help` loads them all.
 */
const commands: Record<string, () => Promise<Command>> = {
  gateway: async () => (await import('./gateway-command.js')).gatewayCommand,
  aggregator: async () => (await import('./aggregator-command.js')).aggregatorCommand,
  status: async () => (await import('./status-command.js')).statusCommand,
  provision: async () => (await import('./provision-command.js')).provisionCommand,
  'enrol-token': async () => (await import('./enrol-command.js')).enrolTokenCommand,
  read: async () => (await import('./read-command.js')).readCommand,
  readout: async () => (await import('./readout-command.js')).readoutCommand,
  scan: async () => (await import('./scan-command.js')).scanCommand,
  demo: async () => (await import('./demo-command.js')).demoCommand,
};

const name = process.argv[2];
const chosen = name !== undefined && Object.hasOwn(commands, name) ? [await commands[name]!()] : await Promise.all(Object.values(commands).map((load) => load()));

process.exitCode = await runCommandLine('chiso', 'meter reading for the monthly GCS cycle (DLMS/COSEM gateway, aggregator, tools)', chosen, process.argv.slice(2));
