import type { Logger } from '../shared/logger.js';

/**
 * Runs a service until SIGTERM/SIGINT, then closes it (the service closes its parts in reverse order)
 * and resolves with the exit code. The handlers are in place before start: systemd may stop a service
 * that is still starting. A second signal while closing exits at once: the operator asked twice.
 */
export async function runUntilSignal(service: { start(): Promise<unknown>; close(): Promise<void> }, log: Logger): Promise<number> {
  let closing = false;
  let stopRequested: ((signal: string) => void) | undefined;
  const requested = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting without a clean close');
      process.exit(1);
    }
    closing = true;
    stopRequested?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await service.start();
  } catch (e) {
    log.error({ err: e }, 'could not start');
    await service.close().catch(() => undefined);
    return 1;
  }
  const signal = await requested;
  log.info({ signal }, 'stopping');
  try {
    await service.close();
    return 0;
  } catch (e) {
    log.error({ err: e }, 'error while stopping');
    return 1;
  }
}
