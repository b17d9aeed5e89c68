import { read } from 'node:fs';
import { promisify } from 'node:util';
import type { SerialPort } from 'serialport';

const readAsync = promisify(read);

/** The parts of the Unix port binding we rely on (public in @serialport/bindings-cpp's LinuxPortBinding). */
interface UnixPortLike {
  fd: number | null;
  readonly isOpen: boolean;
  readonly poller: { once(event: 'readable', callback: (error: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

type Binding = typeof SerialPort.binding;

/**
 * The default binding with one repair: on Unix, @serialport/bindings-cpp 13 retries a read that returns
 * 0 bytes at once, forever. A non-blocking tty read returns 0 only at end of file, i.e. when the line
 * was hung up (the master of a pty closed: socat, ser2net and RF-modem bridges; carrier lost), so the
 * binding spins a CPU core and never reports the loss. Here such a read is a disconnect, which the
 * stream turns into a 'close' event carrying the error.
 */
export function hangupAwareBinding(inner: Binding): Binding {
  return {
    list: () => inner.list(),
    async open(options: Parameters<Binding['open']>[0]) {
      const port = await inner.open(options as never);
      if (isUnixPort(port)) port.read = (buffer, offset, length) => readUntilHangup(port, buffer, offset, length);
      return port;
    },
  } as Binding;
}

function isUnixPort(port: unknown): port is UnixPortLike {
  const p = port as Partial<UnixPortLike>;
  return typeof p.fd === 'number' && typeof p.poller?.once === 'function';
}

async function readUntilHangup(port: UnixPortLike, buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    const fd = port.fd;
    if (!port.isOpen || fd === null) throw Object.assign(new Error('Port is not open'), { canceled: true });
    try {
      const { bytesRead } = await readAsync(fd, buffer, offset, length, null);
      if (bytesRead > 0) return { buffer, bytesRead };
      throw Object.assign(new Error('the line was hung up (end of file on the tty)'), { disconnect: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw error;
      if (!port.isOpen) throw Object.assign(new Error('Port is not open'), { canceled: true });
      await new Promise<void>((resolve, reject) => port.poller.once('readable', (e) => (e ? reject(e) : resolve())));
    }
  }
}
