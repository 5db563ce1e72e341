// The public API (api.md) as the dashboard calls it: the session cookie goes with every request,
// and every change carries the session's CSRF token.

export const state = { session: null };

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The answer to a request, refused as an ApiError unless 2xx; a 401 ends the session in the page. */
export async function request(method, path, body, headers = {}) {
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const r = await fetch('/api/v1' + path, { method, headers, credentials: 'same-origin', body });
  if (!r.ok) {
    const data = await r.json().catch(() => null);
    const e = data && data.error ? data.error : { code: 'http_' + r.status, message: 'HTTP ' + r.status };
    if (r.status === 401 && state.session) window.dispatchEvent(new Event('wrenn:signed-out'));
    throw new ApiError(r.status, e.code, e.message);
  }
  return r;
}

/** The answer to a request whose body (if any) is sent as JSON. */
export function requestJson(method, path, body) {
  if (body === undefined) return request(method, path);
  return request(method, path, JSON.stringify(body), { 'Content-Type': 'application/json' });
}

/** A JSON call: the body is sent as JSON, the answer read as JSON (null for 204). */
export async function api(method, path, body) {
  const r = await requestJson(method, path, body);
  return r.status === 204 ? null : r.json();
}

/** A capsule's path under /api/v1. */
export function capsulePath(id, rest = '') {
  return '/capsules/' + encodeURIComponent(id) + rest;
}
