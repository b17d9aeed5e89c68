import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * JSON in and out over node:http. A body is read up to `maxBytes` and no further: a client that sends more
 * is answered 413 and the rest of its upload is not buffered.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError('API_UNSUPPORTED_MEDIA_TYPE', `the body must be application/json, got ${type.slice(0, 80)}`);
  }
  const text = (await readRawBody(req, maxBytes)).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError('API_BAD_JSON', `the body is not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
}

/** The raw body up to `maxBytes`; more is 413 and the rest of the upload is not buffered. */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  // Events, not `for await`: leaving an async iterator early destroys the socket before the 413 is sent.
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void got.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(tooLarge(maxBytes));
    };
    req.on('data', onData);
    req.once('end', () => resolve(got));
    req.once('error', reject);
  });
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('API_BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`);
}

/** Validates `value` with `schema`; the first problem is named by its path (`publicKeyPem: …`). */
export function validated<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length === 0 ? what : `${what} ${issue.path.map(String).join('.')}`;
  throw new ApiError('API_BAD_REQUEST', `${where}: ${issue.message}`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // Answers carry credentials (enrolment) and meter data: never cached by a proxy.
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ApiError): void {
  // After a refused upload the rest of the body is still on the socket: close the connection, not read it.
  if (e.code === 'API_BODY_TOO_LARGE') res.setHeader('connection', 'close');
  sendJson(res, e.status, { error: { code: e.code, message: e.message } });
}
