// api.js -- talking to the psyclaim JSON API: JSON in and out, the session's CSRF token on every
// state change, and errors as ApiError carrying the server's {code, message, field}.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed (HTTP ${status})`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || null;
    this.body = body || {};
  }
}

/** Remembers the CSRF token of the signed-in session (null when signed out). */
export function setCsrf(token) {
  csrfToken = token || null;
}

async function send(method, path, headers, body, signal) {
  headers.Accept = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store', signal });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/**
 * request('GET', '/api/me') -> parsed JSON (null for 204); throws ApiError. An AbortSignal, when given,
 * cancels the request (the promise then rejects with an AbortError).
 */
export function request(method, path, body, signal) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return send(method, path, headers, body === undefined ? undefined : JSON.stringify(body), signal);
}

/**
 * keepalive('PUT', path, body): a request that outlives the page (sent while the page is hidden or
 * closed); its answer is not awaited. The CSRF header goes with it, which navigator.sendBeacon cannot do.
 */
export function keepalive(method, path, body) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  try {
    fetch(path, { method, headers, body: JSON.stringify(body), credentials: 'same-origin', keepalive: true }).catch(() => {});
  } catch (e) { /* a body over the keepalive quota: the local copy remains */ }
}

/** upload('/api/era/read', file, 'application/edi-x12') -> parsed JSON: POSTs the bytes as they are. */
export function upload(path, blob, type) {
  return send('POST', path, { 'Content-Type': type }, blob);
}

/**
 * download('POST', '/api/claims/export', {payer: 'X'}) -> {blob, filename, headers}: a file the server
 * sends as an attachment; a JSON error answer throws ApiError like request() does.
 */
export async function download(method, path, body) {
  const headers = { Accept: 'application/pdf, application/edi-x12, application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const cd = res.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename="([^"]+)"/);
  return { blob: await res.blob(), filename: m ? m[1] : 'download', headers: res.headers };
}

/** Hands a downloaded file to the browser to save. */
export function saveFile(file) {
  const url = URL.createObjectURL(file.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
