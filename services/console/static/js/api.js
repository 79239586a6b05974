// The public REST API with the Bearer token. The token lives in sessionStorage only: never in a
// URL, a cookie or a log line.
const KEY = "guard.console.token";

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
  /** The token's claims, decoded for display only (the gateway verifies it on every call). */
  claims() {
    const token = this.token;
    if (!token) return null;
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    } catch {
      return null;
    }
  },
};

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const SIGN_IN_AGAIN = {
  token_expired: "Your token has expired. Sign in again with a fresh token.",
  invalid_token: "The gateway did not accept this token. Check that it was issued for this console.",
  not_authenticated: "Sign in with a token to continue.",
};

/** Called with a message when the gateway says the token is no longer good (401). */
let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** "in 5 seconds" from a Retry-After of whole seconds; "in a moment" otherwise (a date, none). */
function retryIn(retryAfter) {
  const seconds = /^\d+$/.test(retryAfter ?? "") ? Number(retryAfter) : null;
  if (seconds === null) return "in a moment";
  return seconds === 1 ? "in 1 second" : `in ${seconds} seconds`;
}

function explain(status, body, retryAfter) {
  const code = body?.error?.code ?? "error";
  const detail = body?.error?.message ?? "";
  if (status === 403) {
    if (code === "tenant_required") // no tenant claim, or one that is not a tenant id: the detail says which
      return `This token carries no tenant it can use (${detail || code}), so it cannot see any incidents. Ask for a token issued for your tenant.`;
    if (code === "preflight_only")
      return "Evidence and proof are only available before production (preflight).";
    return `Your token is not allowed to do this (${detail || code}).`;
  }
  if (status === 404) return "Not found: it does not exist, or it belongs to another tenant.";
  if (status === 409) return `Not possible in the incident's current state (${detail}).`;
  if (status === 422) return `The request was refused: ${detail}`;
  if (status === 503)
    return `The gateway is temporarily unavailable (database or Kafka). Try again ${retryIn(retryAfter)}.`;
  if (status === 429) return `Too many requests for this tenant. Try again ${retryIn(retryAfter)}.`;
  return detail || `The gateway answered ${status}.`;
}

async function send(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "The gateway could not be reached. Check that it is running, then retry.");
  }
  if (response.ok) return response;
  const payload = await response.json().catch(() => null);
  const code = payload?.error?.code ?? "error";
  if (response.status === 401) {
    // A token was sent but is not one (a truncated paste, say): say so, not "sign in with a token".
    const detail = payload?.error?.message;
    const message = code === "not_authenticated" && token && detail
      ? `The gateway did not accept this token: ${detail}. Paste the whole token.`
      : SIGN_IN_AGAIN[code] ?? SIGN_IN_AGAIN.not_authenticated;
    session.clear();
    onSignedOut(message);
    throw new ApiError(401, code, message);
  }
  const retryAfter = response.headers.get("Retry-After");
  throw new ApiError(response.status, code, explain(response.status, payload, retryAfter), payload?.error?.field);
}

export async function get(path, params, options) {
  const query = params ? toQuery(params) : "";
  return (await send(path + query, options)).json();
}

export async function post(path, body, options) {
  return (await send(path, { ...options, method: "POST", body })).json();
}

/** The artifact as a Blob with the filename the gateway gave it. */
export async function download(path) {
  const response = await send(path);
  const disposition = response.headers.get("content-disposition") ?? "";
  const match = /filename="?([^";]+)"?/.exec(disposition);
  return { blob: await response.blob(), filename: match ? match[1] : "download" };
}

export function toQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

/** Development only: the gateway mints a token for the demo tenant (the route is absent elsewhere). */
export async function demoToken() {
  const response = await fetch("/console/demo-token", { method: "POST", cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, "demo_unavailable", "The demo tenant is only available in development.");
  return response.json();
}

export async function consoleConfig() {
  try {
    const response = await fetch("/console/config.json", { cache: "no-store" });
    return response.ok ? response.json() : { demo_tenant: false };
  } catch {
    return { demo_tenant: false };
  }
}
