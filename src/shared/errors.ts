/**
 * One error base for the whole project. Every error carries a stable `code` (documented, matched by
 * callers and tests instead of message text), optional context (meter, step, topic, file…) and the
 * underlying `cause`. Domains subclass it so that `instanceof` narrows to their code union.
 */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

export class ChisoError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly context: ErrorContext;

  constructor(code: Code, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }

  /** A copy of this error with more context, for layers that know where it happened. */
  withContext(context: ErrorContext): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this, { context: { ...this.context, ...context } });
    Object.defineProperty(copy, 'message', { value: this.message, enumerable: false, writable: true });
    Object.defineProperty(copy, 'stack', { value: this.stack, enumerable: false, writable: true });
    if (this.cause !== undefined) Object.defineProperty(copy, 'cause', { value: this.cause, enumerable: false, writable: true });
    return copy;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
