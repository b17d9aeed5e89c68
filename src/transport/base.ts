import { TransportError } from './errors.js';
import type { Transport } from './transport.js';

type LinkState = 'closed' | 'opening' | 'open' | 'closing';

/**
 * The bookkeeping every concrete link shares, so that each keeps the Transport contract the same way:
 * one onClose per session, nothing delivered once close() has begun, clear errors for writes on a closed
 * link, close() idempotent and safe during open(). Subclasses only move bytes.
 */
export abstract class LinkBase implements Transport {
  private state: LinkState = 'closed';
  private dataListener: ((bytes: Uint8Array) => void) | undefined;
  private closeListener: ((error?: Error) => void) | undefined;
  private closing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private closeRequested = false;

  abstract readonly description: string;

  /** Establish the link; reject with a TransportError naming it. */
  protected abstract doOpen(): Promise<void>;
  /** Hand the bytes to the link; resolve when they have left our process. */
  protected abstract doWrite(bytes: Uint8Array): Promise<void>;
  /** Tear the link down; must not call lost() (we are already closing). */
  protected abstract doClose(): Promise<void>;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  open(): Promise<void> {
    if (this.state !== 'closed') {
      return Promise.reject(new TransportError('TRANSPORT_ALREADY_OPEN', `cannot open ${this.description}: it is already ${this.state}`, { context: { link: this.description } }));
    }
    this.state = 'opening';
    this.closeRequested = false;
    this.opening = this.doOpen().then(
      async () => {
        if (this.closeRequested) {
          // close() was called while we were connecting: honour it, and tell the opener why it failed.
          await this.doClose().catch(() => undefined);
          this.state = 'closed';
          throw new TransportError('TRANSPORT_CLOSED', `open of ${this.description} abandoned: close() was called while opening`, { context: { link: this.description } });
        }
        this.state = 'open';
        this.opened();
      },
      (error: unknown) => {
        this.state = 'closed';
        throw error;
      },
    );
    return this.opening;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.notOpen('write to'));
    return this.doWrite(bytes).catch((error: unknown) => {
      if (error instanceof TransportError) throw error;
      if (this.state !== 'open') throw this.notOpen('write to', error);
      throw new TransportError('TRANSPORT_WRITE_FAILED', `write to ${this.description} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error, context: { link: this.description } });
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'closed') return Promise.resolve();
    this.closing = this.closeNow().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.state === 'opening') {
      this.closeRequested = true;
      await this.opening?.catch(() => undefined);
      return;
    }
    this.state = 'closing';
    try {
      await this.doClose();
    } finally {
      this.state = 'closed';
      this.closeListener?.();
    }
  }

  /** Called once the link is open and may deliver (after doOpen resolved and no close() intervened). */
  protected opened(): void {}

  /** Subclasses call this with every chunk received; dropped unless the link is open. */
  protected received(bytes: Uint8Array): void {
    if (this.state === 'open' && bytes.length > 0) this.dataListener?.(bytes);
  }

  /** Subclasses call this when the link ended without close(): reported once, then the link is closed. */
  protected lost(error: TransportError): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.closeListener?.(error);
  }

  protected notOpen(what: string, cause?: unknown): TransportError {
    return new TransportError('TRANSPORT_NOT_OPEN', `cannot ${what} ${this.description}: the link is not open`, { cause, context: { link: this.description } });
  }
}
