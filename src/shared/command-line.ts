import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A `chiso` sub-command: its help text and what it runs. Exit codes: 0 ok, 1 failure, 2 usage. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Runs one command from a table; shared by `chiso` and `chiso-sim`. */
export async function runCommandLine(program: string, about: string, commands: readonly Command[], argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const help = () => {
    io.out(`${program}: ${about}\n\nUsage: ${program} <command> [options]\n\nCommands:`);
    for (const c of commands) io.out(`  ${c.name.padEnd(12)} ${c.summary}`);
    io.out(`\nRun "${program} <command> --help" for a command's options.`);
  };
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    help();
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`${program}: unknown command "${name}"`);
    help();
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${program} ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    throw e;
  }
}
