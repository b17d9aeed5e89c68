import { describe, expect, it } from 'vitest';
import { MeterObjects } from '../../simulators/meter/cosem-objects.js';
import { ApplicationServer } from '../../simulators/protocol/application-server.js';
import { DlmsClient } from '../../src/client/dlms-client.js';
import { ClientError } from '../../src/client/errors.js';
import type { ApduLink } from '../../src/client/link.js';
import { ScalerCache, readAttributes } from '../../src/client/register-reader.js';
import { attributeRef } from '../../src/dlms/cosem/classes.js';
import { meters } from './simulated.js';

/**
 * A wrapper-like link to a simulated meter that answers every AARQ twice, both answers at once: what a
 * gateway sees when it resent an AARQ after a timeout and the slow meter then answered both copies. The
 * second AARE arrives while the client already waits for its first GET.
 */
function doubledAareLink(server: ApplicationServer): ApduLink {
  const queue: Uint8Array[] = [];
  const waiting: ((apdu: Uint8Array) => void)[] = [];
  const deliver = (apdu: Uint8Array) => {
    const w = waiting.shift();
    if (w) w(apdu);
    else queue.push(apdu);
  };
  return {
    description: 'doubled-aare link',
    maxRequestApdu: 0xffff,
    resendsOnTimeout: true,
    connect: async () => undefined,
    async send(apdu) {
      const answers = server.handle(apdu, 17);
      const copies = apdu[0] === 0x60 ? [...answers, ...answers] : answers; // 0x60: AARQ
      for (const a of copies) deliver(a);
    },
    receive: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const next = queue.shift();
        if (next) return resolve(next);
        const timer = setTimeout(() => reject(new ClientError('CLIENT_TIMEOUT', `nothing within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((a) => {
          clearTimeout(timer);
          resolve(a);
        });
      }),
    disconnect: async () => undefined,
    stats: () => ({ bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 }),
  };
}

describe('late answers', () => {
  it('drops a late second AARE instead of taking it for the answer to the first GET', async () => {
    const [meter] = meters(1);
    const server = new ApplicationServer({ objects: new MeterObjects(meter!), readingPassword: meter!.password });
    const client = new DlmsClient({ link: doubledAareLink(server), meter: 'SIM0001', authentication: { mechanism: 'lls', password: meter!.password }, responseTimeoutMs: 500, retries: 1 });
    await client.open();
    const [kt] = await readAttributes(client, 'SIM0001', [attributeRef(3, '1.0.1.8.0.255', 2)], new ScalerCache());
    expect(kt!.ok ? 'ok' : kt!.error.message).toBe('ok');
    await client.close();
  });
});
