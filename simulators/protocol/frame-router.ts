import { decodeAddress } from '../../src/dlms/hdlc/address.js';
import { FLAG, MAX_FRAME_LENGTH, MIN_FRAME_LENGTH } from '../../src/dlms/hdlc/frame.js';
import { isDlmsError } from '../../src/dlms/errors.js';
import { WRAPPER_HEADER_SIZE, decodeWrapperHeader } from '../../src/dlms/wrapper/wrapper.js';
import type { EndpointLink } from './meter-endpoint.js';

/** One whole frame from the client, for the served meter at `index` (0-based, the order of the links). */
export interface RoutedFrame {
  readonly index: number;
  readonly bytes: Uint8Array;
}

export type RouteResult =
  | { readonly kind: 'frames'; readonly frames: RoutedFrame[] }
  /** The wrapper stream cannot be resynchronised (a bad header): the connection must close. */
  | { readonly kind: 'close'; readonly reason: string };

/**
 * Cuts what a client sends on a shared line (a TCP connection to many meters, an RS485 bus) into frames
 * and says which served meter each one is for, so only that meter's endpoint hears it. Every meter could
 * listen to every byte, as on a real bus, but then each byte is deframed once per meter: with 500 meters
 * behind one port that was most of the simulator's time. The endpoint still deframes and checks what it
 * gets; this only finds frame boundaries and the destination address, and drops what is for nobody
 * (another address, noise between frames), as the meters would.
 */
export class FrameRouter {
  private readonly byAddress = new Map<number, number>();
  private readonly framing: 'hdlc' | 'wrapper';
  private buffer: Uint8Array = new Uint8Array(0);
  /** Stream offset of buffer[0], for error messages. */
  private consumed = 0;
  private failed: string | undefined;

  constructor(links: readonly EndpointLink[]) {
    const first = links[0];
    this.framing = first?.framing ?? 'hdlc';
    links.forEach((link, index) => {
      if (link.framing !== this.framing) throw new Error('FrameRouter: every meter on one line must use the same framing');
      this.byAddress.set(link.framing === 'wrapper' ? link.wPort : hdlcKey(link.logical ?? 1, link.addressSize === 1 ? undefined : link.physical), index);
    });
  }

  route(chunk: Uint8Array): RouteResult {
    if (this.failed) return { kind: 'close', reason: this.failed };
    this.append(chunk);
    return this.framing === 'wrapper' ? this.routeWrapper() : this.routeHdlc();
  }

  private routeWrapper(): RouteResult {
    const frames: RoutedFrame[] = [];
    let pos = 0;
    const buf = this.buffer;
    while (buf.length - pos >= WRAPPER_HEADER_SIZE) {
      let header;
      try {
        header = decodeWrapperHeader(buf, pos, { streamOffset: this.consumed });
      } catch (e) {
        this.failed = isDlmsError(e) ? e.message : String(e);
        return { kind: 'close', reason: this.failed };
      }
      const end = pos + WRAPPER_HEADER_SIZE + header.length;
      if (end > buf.length) break;
      const index = this.byAddress.get(header.destination);
      if (index !== undefined) frames.push({ index, bytes: buf.slice(pos, end) });
      pos = end;
    }
    this.consume(pos);
    return { kind: 'frames', frames };
  }

  private routeHdlc(): RouteResult {
    const frames: RoutedFrame[] = [];
    const buf = this.buffer;
    let pos = 0;
    while (pos < buf.length) {
      if (buf[pos] !== FLAG) {
        const next = buf.indexOf(FLAG, pos);
        pos = next < 0 ? buf.length : next;
        continue;
      }
      if (pos + 2 >= buf.length) break;
      const format = buf[pos + 1]!;
      if ((format & 0xf0) !== 0xa0) {
        pos++; // an idle flag, or a flag that opens nothing
        continue;
      }
      const length = ((format & 0x07) << 8) | buf[pos + 2]!;
      if (length < MIN_FRAME_LENGTH || length > MAX_FRAME_LENGTH) {
        pos++;
        continue;
      }
      const end = pos + length + 2; // opening flag, format..FCS, closing flag
      if (end > buf.length) break;
      if (buf[end - 1] !== FLAG) {
        pos++; // not a frame after all: look for the next flag
        continue;
      }
      let key: number | undefined;
      try {
        const a = decodeAddress(buf, pos + 3, end - 1);
        key = hdlcKey(a.upper, a.lower);
      } catch {
        pos++;
        continue;
      }
      const index = this.byAddress.get(key);
      if (index !== undefined) frames.push({ index, bytes: buf.slice(pos, end) });
      pos = end - 1; // the closing flag may open the next frame
    }
    this.consume(pos);
    return { kind: 'frames', frames };
  }

  private append(chunk: Uint8Array): void {
    if (this.buffer.length === 0) {
      this.buffer = chunk;
      return;
    }
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
  }

  private consume(n: number): void {
    this.consumed += n;
    this.buffer = n >= this.buffer.length ? new Uint8Array(0) : this.buffer.subarray(n);
  }
}

/** Server addresses compare by value, not by the field's size (as the server link does). */
function hdlcKey(upper: number, lower: number | undefined): number {
  return lower === undefined ? -1 - upper : upper * 0x4000 + lower;
}
