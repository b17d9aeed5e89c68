import type { Logger } from '../shared/logger.js';

/**
 * Runs a service until SIGTERM/SIGINT, then closes it (in reverse order of start, inside the service)
 * and exits. A second signal while closing exits at once: the operator asked twice.
 */
export async function runUntilSignal(service: { start(): Promise<void>; close(): Promise<void> }, log: Logger): Promise<number> {
  await service.start();
  return new Promise<number>((resolve) => {
    let closing = false;
    const stop = (signal: string) => {
      if (closing) {
        log.warn({ signal }, 'second signal: exiting without a clean close');
        process.exit(1);
      }
      closing = true;
      log.info({ signal }, 'stopping');
      service.close().then(
        () => resolve(0),
        (e: unknown) => {
          log.error({ err: e }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
