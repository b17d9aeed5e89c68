/**
 * The logging the forwarder needs: the subset of pino's Logger it uses, so a pino logger fits and tests can
 * pass a recorder.
 */
export interface ForwarderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): ForwarderLogger;
}
