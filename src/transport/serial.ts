import type { SerialPort } from 'serialport';
import { LinkBase } from './base.js';
import { hangupAwareBinding } from './hangup-guard.js';
import { TransportError, type OpenFailureReason } from './errors.js';
import { addEvenParity, evenParityErrors, formatName, FORMAT_8N1, sameFormat, stripParity, type LineFormat } from './line-format.js';
import type { Transport } from './transport.js';

export interface SerialOptions extends LineFormat {
  /** Device path; prefer a stable /dev/serial/by-id/… link over /dev/ttyUSB0, whose number can change. */
  path: string;
  baudRate: number;
  description?: string;
  /** Hardware flow control; RS485 converters and optical probes normally have none. Default false. */
  rtscts?: boolean;
  /** Drop DTR when the port closes (the termios default). Some optical probes take power from DTR. */
  hupcl?: boolean;
  /** Take an exclusive lock on the device so that another program cannot interleave bytes. Default true. */
  lock?: boolean;
  /**
   * Keep the hardware at 8N1 and make 7E1 in software (see addEvenParity), so that the IEC 62056-21
   * switch between the two never closes the port. Default false: the format is set in the driver and a
   * change of data bits or parity reopens the port.
   */
  emulate7E1?: boolean;
}

export interface SerialTransport extends Transport {
  readonly path: string;
  readonly baudRate: number;
  readonly format: LineFormat;
  /** Received bytes that failed the software parity check (only counted while 7E1 is emulated). */
  readonly parityErrors: number;
  /** Change the line speed of the open port in place (or the speed of the next open). */
  setBaudRate(baudRate: number): Promise<void>;
  /**
   * Change the character format, and the speed with it if given: the IEC 62056-21 mode E hand-over
   * from 300 baud 7E1 to 9600 8N1. Call it with no exchange in flight.
   */
  setFormat(format: LineFormat & { baudRate?: number }): Promise<void>;
  flush(): Promise<void>;
}

export function createSerialTransport(options: SerialOptions): SerialTransport {
  return new SerialLink(options);
}

class SerialLink extends LinkBase implements SerialTransport {
  readonly description: string;
  readonly path: string;
  private baud: number;
  private lineFormat: LineFormat;
  private port: SerialPort | undefined;
  private badParity = 0;

  constructor(private readonly options: SerialOptions) {
    super();
    this.path = options.path;
    this.description = options.description ?? `serial ${options.path}`;
    if (!options.path) throw new TransportError('TRANSPORT_CONFIG', 'serial transport needs a device path (e.g. /dev/ttyUSB0)');
    this.baud = checkedBaud(options.baudRate, this.description);
    this.lineFormat = { dataBits: options.dataBits, parity: options.parity, stopBits: options.stopBits };
  }

  get baudRate(): number {
    return this.baud;
  }

  get format(): LineFormat {
    return { ...this.lineFormat };
  }

  get parityErrors(): number {
    return this.badParity;
  }

  /** 7E1 is made in software when emulation is on; everything else is the driver's. */
  private get softParity(): boolean {
    return this.options.emulate7E1 === true && this.lineFormat.dataBits === 7 && this.lineFormat.parity === 'even' && this.lineFormat.stopBits === 1;
  }

  private hardwareFormat(format: LineFormat): LineFormat {
    const soft = this.options.emulate7E1 === true && format.dataBits === 7 && format.parity === 'even' && format.stopBits === 1;
    return soft ? FORMAT_8N1 : format;
  }

  protected async doOpen(): Promise<void> {
    this.attach(await this.openPort());
  }

  private async openPort(): Promise<SerialPort> {
    const hw = this.hardwareFormat(this.lineFormat);
    // Loaded on first use: a gateway with only TCP meters does not carry the native serial binding.
    const { SerialPort } = await import('serialport');
    return new Promise((resolve, reject) => {
      let port: SerialPort;
      try {
        port = new SerialPort({
          binding: hangupAwareBinding(SerialPort.binding),
          path: this.path,
          baudRate: this.baud,
          dataBits: hw.dataBits,
          parity: hw.parity,
          stopBits: hw.stopBits,
          rtscts: this.options.rtscts ?? false,
          hupcl: this.options.hupcl ?? true,
          lock: this.options.lock ?? true,
          autoOpen: false,
        } as ConstructorParameters<typeof SerialPort>[0]);
      } catch (error) {
        reject(new TransportError('TRANSPORT_CONFIG', `bad settings for ${this.description}: ${(error as Error).message}`, { cause: error, context: { link: this.description } }));
        return;
      }
      port.open((error) => (error ? reject(describeSerialOpenError(this.path, error, this.description)) : resolve(port)));
    });
  }

  private attach(port: SerialPort): void {
    this.port = port;
    let failure: Error | undefined;
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port) return;
      let bytes: Uint8Array = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.softParity) {
        this.badParity += evenParityErrors(bytes);
        bytes = stripParity(bytes);
      }
      this.received(bytes);
    });
    port.on('error', (error) => {
      failure = error;
    });
    port.on('close', (error: Error | null | undefined) => {
      if (this.port !== port) return;
      this.port = undefined;
      const why = error ?? failure;
      this.lost(
        why
          ? new TransportError('TRANSPORT_DISCONNECTED', `${this.description} disconnected (adapter unplugged or line hung up): ${why.message}`, { cause: why, context: { link: this.description } })
          : new TransportError('TRANSPORT_PEER_CLOSED', `${this.description} was closed by the system`, { context: { link: this.description } }),
      );
    });
  }

  protected doWrite(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (port === undefined) return Promise.reject(this.notOpen('write to'));
    const out = this.softParity ? addEvenParity(bytes) : bytes;
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(out.buffer, out.byteOffset, out.byteLength), (error) => {
        if (error) return reject(error);
        // Resolve when the bytes have left the UART (tcdrain), not when the driver took them: on a
        // half-duplex RS485 bus the turnaround gap counts from the last bit actually sent.
        port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
      });
    });
  }

  protected doClose(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return closePort(port);
  }

  flush(): Promise<void> {
    const port = this.port;
    if (!this.isOpen || port === undefined) return Promise.reject(this.notOpen('flush'));
    return new Promise((resolve, reject) => {
      port.flush((error) => (error ? reject(new TransportError('TRANSPORT_WRITE_FAILED', `flush of ${this.description} failed: ${error.message}`, { cause: error, context: { link: this.description } })) : resolve()));
    });
  }

  setBaudRate(baudRate: number): Promise<void> {
    return this.setFormat({ ...this.lineFormat, baudRate });
  }

  async setFormat(next: LineFormat & { baudRate?: number }): Promise<void> {
    const baud = checkedBaud(next.baudRate ?? this.baud, this.description);
    const format: LineFormat = { dataBits: next.dataBits, parity: next.parity, stopBits: next.stopBits };
    const port = this.port;
    const reopen = !sameFormat(this.hardwareFormat(format), this.hardwareFormat(this.lineFormat));
    this.baud = baud;
    this.lineFormat = format;
    if (!this.isOpen || port === undefined) return; // takes effect at the next open()
    if (!reopen) {
      if (baud !== port.baudRate) await updateBaud(port, baud, this.description);
      return;
    }
    // The driver cannot change data bits or parity on an open port: close and reopen it quietly.
    this.port = undefined;
    await closePort(port);
    try {
      this.attach(await this.openPort());
    } catch (error) {
      const lostError = error instanceof TransportError ? error : new TransportError('TRANSPORT_DISCONNECTED', `${this.description}: reopen as ${formatName(format)} failed`, { cause: error });
      this.lost(lostError);
      throw lostError;
    }
  }
}

function checkedBaud(baudRate: number, description: string): number {
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new TransportError('TRANSPORT_CONFIG', `bad baud rate ${String(baudRate)} for ${description}: must be a positive integer`);
  }
  return baudRate;
}

function updateBaud(port: SerialPort, baudRate: number, description: string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.update({ baudRate }, (error) =>
      error ? reject(new TransportError('TRANSPORT_CONFIG', `cannot set ${description} to ${baudRate} baud: ${error.message}`, { cause: error, context: { link: description } })) : resolve(),
    );
  });
}

function closePort(port: SerialPort | undefined): Promise<void> {
  if (port === undefined || !port.isOpen) {
    port?.removeAllListeners();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    port.close(() => {
      port.removeAllListeners();
      port.on('error', () => undefined); // a late error from a discarded port must not crash the process
      resolve();
    });
  });
}

/**
 * Turn the binding's terse open failure into one an operator can act on. The native binding reports
 * errno only as text ("Permission denied, cannot open /dev/ttyUSB0"), so the text is what we match.
 */
export function describeSerialOpenError(path: string, error: Error, description = `serial ${path}`): TransportError {
  const text = error.message;
  const [reason, hint]: [OpenFailureReason, string] =
    /no such file|ENOENT|not found/i.test(text)
      ? ['not-found', 'no such device — is the adapter plugged in, and is the path right (see /dev/serial/by-id/)?']
      : /permission denied|EACCES|EPERM/i.test(text)
        ? ['permission', 'permission denied — is the service user in the dialout group?']
        : /cannot lock|resource temporarily unavailable|EBUSY|EAGAIN|busy/i.test(text)
          ? ['busy', 'the port is in use by another process (another poller, ModemManager, a terminal program?)']
          : /inappropriate ioctl|ENOTTY/i.test(text)
            ? ['not-a-port', 'this is not a serial port']
            : ['other', text];
  return new TransportError('TRANSPORT_OPEN_FAILED', `cannot open ${path}: ${hint}`, { cause: error, context: { link: description, path, reason } });
}
