// The JSON API (docs/api.md): every request sends X-Requested-With: dissent (the CSRF rule) and
// JSON; every error answer becomes an ApiError carrying the API's own code and message. The
// messages are asked for in English (Accept-Language: en): errors.js reads them to choose its
// own sentence, in the reader's language, from the catalogs.

export class ApiError extends Error {
  constructor(status, err) {
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || `http_${status}`;
    this.field = err.field || null;
    this.state = err.state || null;
    this.received = typeof err.received === 'number' ? err.received : null;
  }
}

// api('GET', '/api/v1/me') -> {data, etag, status}; throws ApiError.
// Listeners told the status of every answer from the server (app.js counts them as the
// session's use).
const listeners = [];
export function onResponse(fn) { listeners.push(fn); }

export async function api(method, path, body, headers = {}) {
  const opts = {
    method,
    credentials: 'same-origin',
    headers: { 'X-Requested-With': 'dissent', Accept: 'application/json', 'Accept-Language': 'en', ...headers },
  };
  if (body instanceof Blob) {
    // a file's part (docs/api.md, "Attachments"): its bytes as they are
    opts.headers['Content-Type'] = 'application/octet-stream';
    opts.body = body;
  } else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, opts);
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' });
  }
  for (const fn of listeners) fn(r.status);
  const type = r.headers.get('Content-Type') || '';
  let data = null;
  if (r.status !== 204 && type.includes('application/json')) data = await r.json();
  else if (r.status !== 204) data = await r.text();
  if (!r.ok) {
    const err = data && typeof data === 'object' && data.error ? data.error : { message: `${r.status} ${r.statusText}` };
    throw new ApiError(r.status, err);
  }
  return { data, etag: r.headers.get('ETag'), status: r.status };
}

export const get = (p) => api('GET', p).then((r) => r.data);
export const post = (p, b) => api('POST', p, b).then((r) => r.data);
