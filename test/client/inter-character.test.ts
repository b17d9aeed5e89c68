import { describe, expect, it } from 'vitest';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import { decodeFrame } from '../../src/dlms/hdlc/frame.js';
import { createMemoryPair } from '../../src/transport/memory.js';
import { vectorBytes } from '../fixtures/vectors.js';

describe('HDLC link: inter-character timeout', () => {
  it('drops a frame whose bytes stop mid-way and re-polls long before the response timeout', async () => {
    const [clientSide, meterSide] = createMemoryPair();
    const ua = vectorBytes('HDLC UA with negotiated parameters (Gurux');
    const received: string[] = [];
    meterSide.onData((bytes) => {
      const frame = decodeFrame(bytes);
      received.push(frame.control.type);
      // The first SNRM gets half a UA and then silence; the second one the whole UA.
      void meterSide.write(received.length === 1 ? ua.subarray(0, 12) : ua);
    });
    meterSide.onClose(() => undefined);
    await meterSide.open();
    const link = createHdlcLink({ transport: clientSide, clientSap: 16, server: { logical: 1, size: 1 }, responseTimeoutMs: 60_000, maxRetries: 2, interCharacterTimeoutMs: 50, ownsTransport: true });
    // With only the 60 s response timeout this would outlast the test's own timeout.
    await link.connect();
    expect(received).toEqual(['SNRM', 'SNRM']);
    await link.disconnect();
  }, 10_000);
});
