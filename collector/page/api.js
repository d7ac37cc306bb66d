// The page's only way to the data: GET /api/v1/..., with the read key from this
// tab's session storage as Authorization: Bearer (never in a URL).

const KEY = 'costlens.read-key';

/** The API answered 401: keys are configured and this tab has none, or a wrong one. */
export class AuthError extends Error {}

/** Any other answer that is not 2xx, with the API's sentence. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function storedKey() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (a locked-down browser): the key then lasts until the page reloads.
  }
  memoryKey = key || null;
}

let memoryKey = null;

async function sentence(res) {
  try {
    const body = await res.json();
    if (typeof body?.error === 'string') return body.error;
  } catch {
    // Not JSON: say what happened in general.
  }
  return `the collector answered ${res.status}`;
}

/** GET /api/v1/<path>?<params>; empty params are left out. */
export async function get(path, params = {}, signal) {
  const url = new URL(`/api/v1/${path}`, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const headers = { accept: 'application/json' };
  const key = storedKey() ?? memoryKey;
  if (key) headers.authorization = `Bearer ${key}`;
  let res;
  try {
    res = await fetch(url, { headers, signal, cache: 'no-store' });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'the collector cannot be reached');
  }
  if (res.status === 401) throw new AuthError(await sentence(res));
  if (!res.ok) throw new ApiError(res.status, await sentence(res));
  return res.json();
}
