import type { CommandMessage } from '../../wire/commands.js';
import type { JsonValue } from '../../wire/primitives.js';
import { runClockSync, type ClockSyncDeps } from './clock-sync.js';
import { runReadNow, runRereadBook, type ReadCommandDeps } from './read-commands.js';
import { runReloadConfig, type ReloadDeps } from './reload-command.js';

/**
 * What the commands need from the gateway, asked afresh for every command: a `reload-config` replaces the
 * configuration, and the next command must see the new one.
 */
export interface CommandDeps {
  reads(): ReadCommandDeps;
  clockSync(): ClockSyncDeps;
  reload(): ReloadDeps;
}

/**
 * The handler for commands from central (the forwarder has verified signature, addressee and expiry).
 * Its answer becomes the `result` of the `cmd/response`; a thrown ChisoError its `error` with the code.
 */
export function commandHandler(deps: CommandDeps): (command: CommandMessage) => Promise<JsonValue> {
  return async (command) => {
    const c = command.command;
    switch (c.type) {
      case 'read-now':
        return runReadNow(c, deps.reads());
      case 'reread-book':
        return runRereadBook(c, deps.reads());
      case 'clock-sync':
        return runClockSync(c, deps.clockSync());
      case 'reload-config':
        return runReloadConfig(c, deps.reload());
    }
  };
}
