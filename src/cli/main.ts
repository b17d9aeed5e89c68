import { runCommandLine, type Command } from '../shared/command-line.js';
import { aggregatorCommand } from './aggregator-command.js';
import { demoCommand } from './demo-command.js';
import { enrolTokenCommand } from './enrol-command.js';
import { gatewayCommand } from './gateway-command.js';
import { provisionCommand } from './provision-command.js';
import { readCommand } from './read-command.js';
import { statusCommand } from './status-command.js';
import { readoutCommand } from './readout-command.js';
import { scanCommand } from './scan-command.js';

const commands: Command[] = [gatewayCommand, aggregatorCommand, statusCommand, provisionCommand, enrolTokenCommand, readCommand, readoutCommand, scanCommand, demoCommand];

process.exitCode = await runCommandLine('chiso', 'meter reading for the monthly GCS cycle (DLMS/COSEM gateway, aggregator, tools)', commands, process.argv.slice(2));
