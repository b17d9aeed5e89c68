/**
 * An APDU link: what the client needs of the layers below the application layer. HDLC (serial RS485, or
 * HDLC carried over TCP) and the TCP wrapper both provide it; the client does not know which it uses.
 */
export interface ApduLink {
  /** The meter and the path to it, for errors and logs ("hdlc 1/17 on /dev/ttyUSB0"). */
  readonly description: string;
  /**
   * Largest request APDU that the link carries in one frame. HDLC segments longer ones, but many meters do
   * not reassemble segmented requests, so the client keeps its with-list requests below this.
   */
  readonly maxRequestApdu: number;
  /** Opens the transport if needed and the data link (HDLC SNRM/UA; nothing for the wrapper). */
  connect(): Promise<void>;
  /** Sends one APDU. */
  send(apdu: Uint8Array): Promise<void>;
  /** The next APDU received, or ClientError CLIENT_TIMEOUT after `timeoutMs` with nothing. */
  receive(timeoutMs: number): Promise<Uint8Array>;
  /** Whether a timed-out request may be sent again on this link (HDLC already re-polls by itself). */
  readonly resendsOnTimeout: boolean;
  /** Closes the data link (HDLC DISC) and the transport if this link owns it. Never throws. */
  disconnect(): Promise<void>;
  /** Bytes and frames exchanged so far, for benchmarks and diagnostics. */
  stats(): LinkStats;
}

export interface LinkStats {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
}
