/**
 * A transport is a byte pipe and nothing else: it knows no DLMS. The client writes request bytes and
 * receives whatever arrives, in chunks of any size; framing is the protocol core's job.
 *
 * The contract every implementation keeps (checked by test/transport/contract.ts):
 * - bytes arrive in order, in chunks of any size;
 * - `onClose` fires exactly once per opened session: with no argument after our own `close()`, with a
 *   TransportError when the link ended without being asked (peer closed, reset, device unplugged);
 * - no listener fires after `close()` has resolved; `close()` may be called any number of times;
 * - `write()` on a link that is not open rejects with TRANSPORT_NOT_OPEN naming the link;
 * - timeouts for answers are the caller's: a transport only reports what it sees.
 */
export interface Transport {
  /** Human-readable name of the link for errors and logs, e.g. "tcp 127.0.0.1:4059" or "/dev/ttyUSB0". */
  readonly description: string;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  /** Called with every chunk received; only one listener, set before open(). */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the link closes for any reason, with the error if it was not asked for. */
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /**
   * Discard input that arrived before now and was not yet delivered (serial: tcflush of the driver's
   * queues). Called before a new conversation on a shared RS485 bus, where echoes and late answers to
   * someone else's request linger. Optional: links without stale input need not offer it.
   */
  flush?(): Promise<void>;
}
