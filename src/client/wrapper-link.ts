import { systemClock, type Clock } from '../shared/clock.js';
import { WrapperDeframer } from '../dlms/wrapper/deframer.js';
import { encodeWrapper } from '../dlms/wrapper/wrapper.js';
import type { Transport } from '../transport/transport.js';
import { ClientError } from './errors.js';
import { Inbox } from './inbox.js';
import type { ApduLink, LinkStats } from './link.js';

export interface WrapperLinkOptions {
  transport: Transport;
  /** Client wPort: the client SAP (16 public, 17 reading, 1 management). */
  clientWPort: number;
  /** Server wPort: the logical device (1 = management logical device). */
  serverWPort: number;
  clock?: Clock;
}

/**
 * The TCP wrapper profile (IEC 62056-47) as an APDU link. Frames addressed to another wPort pair (a
 * gateway-type device multiplexing meters on one socket) are not ours and are dropped.
 */
export function createWrapperLink(options: WrapperLinkOptions): ApduLink {
  const { transport, clientWPort, serverWPort } = options;
  const clock = options.clock ?? systemClock;
  const description = `wrapper wPort ${serverWPort} via ${transport.description}`;
  const inbox = new Inbox(clock, description);
  const stats: LinkStats = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };
  let deframer = new WrapperDeframer();

  transport.onData((chunk) => {
    stats.bytesReceived += chunk.length;
    try {
      for (const frame of deframer.push(chunk)) {
        stats.framesReceived++;
        if (frame.source === serverWPort && frame.destination === clientWPort) inbox.put(frame.payload);
      }
    } catch (e) {
      // A bad wrapper header leaves no way to find the next frame: the connection is done for.
      inbox.fail(e as Error);
      void transport.close();
    }
  });
  transport.onClose((error) => {
    inbox.fail(new ClientError('CLIENT_LINK_CLOSED', `${transport.description} closed${error ? `: ${error.message}` : ''}`, { cause: error }));
  });

  return {
    description,
    maxRequestApdu: 0xffff,
    resendsOnTimeout: true,
    async connect() {
      deframer = new WrapperDeframer();
      inbox.reset();
      if (!transport.isOpen) await transport.open();
    },
    async send(apdu) {
      const bytes = encodeWrapper({ source: clientWPort, destination: serverWPort, payload: apdu });
      stats.bytesSent += bytes.length;
      stats.framesSent++;
      await transport.write(bytes);
    },
    receive: (timeoutMs) => inbox.take(timeoutMs),
    async disconnect() {
      try {
        await transport.close();
      } catch {
        // closing is best effort: the link is gone either way
      }
    },
    stats: () => ({ ...stats }),
  };
}
