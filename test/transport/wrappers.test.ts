/** The wrappers must keep the Transport contract of the link they wrap. */
import { createMemoryPair } from '../../src/transport/memory.js';
import { withInterFrameGap } from '../../src/transport/gap.js';
import { pacedTransport } from '../../src/transport/paced.js';
import type { Transport } from '../../src/transport/transport.js';
import { transportContract, transportPeer, type Fixture } from './contract.js';
import { Sink } from './sink.js';

function overMemory(name: string, wrap: (inner: Transport) => Transport): void {
  transportContract({
    name,
    peerSeesLocalClose: true,
    async setup(): Promise<Fixture> {
      const [a, b] = createMemoryPair({ names: ['wrapped client', 'meter'], chunkSize: 4096 });
      const transport = wrap(a);
      const peerSink = new Sink(b);
      await b.open();
      return {
        transport,
        peer: async () => transportPeer(b, peerSink, () => b.close()),
        teardown: async () => {
          await transport.close();
          await b.close();
        },
      };
    },
  });
}

// 10 Mbit/s keeps 64 KiB at ~65 ms of real waiting: the suite checks behaviour, not speed.
overMemory('paced memory pair', (inner) => pacedTransport(inner, { baudRate: 10_000_000, bitsPerByte: 10 }));
overMemory('memory pair with an inter-frame gap', (inner) => withInterFrameGap(inner, { gapMs: 1 }));
