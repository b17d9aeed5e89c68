/**
 * Gives the memory of a finished cycle back to the system. A gateway polls a thousand meters, then waits
 * hours: without a full collection V8 keeps the pages the cycle grew into, and the resident size between
 * polls stays near the cycle's peak (89 MB against a budget of 80 on a Pi-class gateway). The systemd unit
 * starts node with --expose-gc for this; elsewhere (tests, the demo) there is no `gc` and nothing happens.
 */
export function releaseCycleMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}
