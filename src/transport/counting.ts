import type { Transport } from './transport.js';

export interface TransportStats {
  /** Bytes handed to the link by successful writes. */
  bytesOut: number;
  /** Bytes delivered to the data listener. */
  bytesIn: number;
  /** Successful write() calls. */
  writes: number;
  /** Chunks delivered to the data listener. */
  reads: number;
}

export interface CountingTransport extends Transport {
  stats(): TransportStats;
  resetStats(): void;
}

/** Counts the bytes each way through a link: for benchmarks and for the airtime figures of RF links. */
export function countingTransport(inner: Transport): CountingTransport {
  let counts: TransportStats = { bytesOut: 0, bytesIn: 0, writes: 0, reads: 0 };
  let dataListener: ((bytes: Uint8Array) => void) | undefined;
  inner.onData((bytes) => {
    counts.bytesIn += bytes.length;
    counts.reads++;
    dataListener?.(bytes);
  });
  return {
    get description() {
      return inner.description;
    },
    get isOpen() {
      return inner.isOpen;
    },
    open: () => inner.open(),
    onData: (listener) => {
      dataListener = listener;
    },
    onClose: (listener) => inner.onClose(listener),
    async write(bytes) {
      await inner.write(bytes);
      counts.bytesOut += bytes.length;
      counts.writes++;
    },
    close: () => inner.close(),
    ...(inner.flush ? { flush: () => inner.flush!() } : {}),
    stats: () => ({ ...counts }),
    resetStats: () => {
      counts = { bytesOut: 0, bytesIn: 0, writes: 0, reads: 0 };
    },
  };
}
