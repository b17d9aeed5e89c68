/** The part of a pino logger the pollers use; the composition root passes `logger.child({ bus })`. */
export interface PollLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: PollLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
