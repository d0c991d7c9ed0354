// The admin REST API (/api/v1), called with the admin token as a bearer token.
//
// The token lives in this tab's sessionStorage only: never in the address bar, a cookie or
// a log. Failures come back as ApiError carrying the server's problem+json `detail` in
// words an admin can act on.
const TOKEN_KEY = "hearth.admin-token";
const PREFIX = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized = () => {};

// Called when the server refuses the token (it was changed, or mistyped at sign-in).
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

// A path from fixed parts and ids, each id escaped.
export function path(strings, ...ids) {
  return strings.reduce((out, part, i) => out + part + (i < ids.length ? encodeURIComponent(ids[i]) : ""), "");
}

function sentence(text) {
  const trimmed = text.trim();
  if (!trimmed) return "";
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function explain(status, problem) {
  if (status === 401) return "The server did not accept this admin token. Check it and sign in again.";
  if (status === 503 && problem?.code === "http_503") {
    return "The admin API is turned off on this server: set HEARTH_ADMIN_TOKEN and restart it.";
  }
  const detail = typeof problem?.detail === "string" ? sentence(problem.detail) : "";
  if (detail) return detail;
  if (status >= 500) return "Something went wrong on the server. Please try again.";
  return `The server refused the request (${status}).`;
}

export async function call(method, where, body = undefined, { tokenOverride = null } = {}) {
  const headers = { Authorization: `Bearer ${tokenOverride ?? token.get() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(PREFIX + where, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check the connection and try again.");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.code ?? `http_${response.status}`, explain(response.status, data));
    if (response.status === 401 && tokenOverride === null) onUnauthorized(error);
    throw error;
  }
  return data;
}
