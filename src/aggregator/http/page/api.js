// The JSON API from the page: the admin token the operator pasted (sessionStorage: this tab only, gone
// when it closes) goes in every call; an error answer becomes an ApiFailure carrying the API's own code
// and message, which the page shows as they are.

const TOKEN_KEY = 'chiso.adminToken';

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

let onUnauthorized = () => {};
/** Called with the failure when the API refuses the token (401): the page asks for it again. */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

async function call(method, path, body) {
  const headers = { authorization: `Bearer ${getToken() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (e) {
    throw new ApiFailure(0, 'NETWORK', `the aggregator did not answer (${e instanceof Error ? e.message : String(e)})`);
  }
  if (res.ok) return res;
  const text = await res.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = undefined;
  }
  const failure = new ApiFailure(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? (text.slice(0, 200) || res.statusText));
  if (res.status === 401) onUnauthorized(failure);
  throw failure;
}

/** A JSON call: resolves to the answer's body, or throws ApiFailure. */
export async function api(method, path, body) {
  const res = await call(method, path, body);
  const text = await res.text();
  return text === '' ? {} : JSON.parse(text);
}

/** The endpoint itself does not exist (yet) on this aggregator: the section says so instead of failing. */
export function isUnavailable(e) {
  return e instanceof ApiFailure && e.status === 404 && (e.code === 'API_NOT_FOUND' || e.code.startsWith('HTTP_'));
}

/**
 * Downloads a file the API serves behind the admin token: a plain link cannot send the header, so the
 * file is fetched and handed to the browser as a blob.
 */
export async function download(path, fallbackName) {
  const res = await call('GET', path);
  const blob = await res.blob();
  const disposition = res.headers.get('content-disposition') ?? '';
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = named ? decodeURIComponent(named[1]) : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
