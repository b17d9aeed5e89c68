import type { Transport } from '../../transport/transport.js';

/**
 * A transport takes one close listener, and the client's channel already holds it. The bus poller also
 * needs to hear that its port died (USB adapter unplugged), so this wrapper hands every close to both.
 */
export function watchClose(inner: Transport, onClose: (error?: Error) => void): Transport {
  let listener: ((error?: Error) => void) | undefined;
  inner.onClose((error) => {
    onClose(error);
    listener?.(error);
  });
  return {
    get description() {
      return inner.description;
    },
    get isOpen() {
      return inner.isOpen;
    },
    open: () => inner.open(),
    write: (bytes) => inner.write(bytes),
    onData: (l) => inner.onData(l),
    onClose: (l) => {
      listener = l;
    },
    close: () => inner.close(),
    ...(inner.flush ? { flush: () => inner.flush!() } : {}),
  };
}
