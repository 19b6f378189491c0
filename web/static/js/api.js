// fetch() wrapper for the iocmap API.
//
// Errors always reach the caller as ApiError carrying the server's {"detail", "code"} body,
// so the UI can show the server's own message. While signed in with the browser session
// cookie, state-changing requests carry the session's CSRF token in X-CSRF-Token.

import { t } from "./i18n.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, detail, body = null) {
    super(typeof detail === "string" ? detail : code);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.detail = detail;
    this.body = body;
  }
}

/** Remember (or forget, with null) the CSRF token of the current cookie session. */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/**
 * Call the API. `body` (a plain object) is sent as JSON, a FormData as multipart (the
 * browser sets the boundary). Resolves with the parsed JSON
 * body (GeoJSON included), or null for 204 / empty bodies; rejects with ApiError.
 */
export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const verb = method.toUpperCase();
  const init = {
    method: verb,
    credentials: "same-origin",
    headers: { Accept: "application/json, application/geo+json", ...headers },
    signal,
  };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (!SAFE_METHODS.has(verb) && csrfToken) init.headers["X-CSRF-Token"] = csrfToken;

  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", null);
  }
  const data = await readBody(response);
  if (!response.ok) {
    const code = data && typeof data.code === "string" ? data.code : "http_error";
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    throw new ApiError(response.status, code, detail, data);
  }
  return data;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!/json/i.test(type)) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** The text to show for a failed call: the server's own message when it sent one. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.detail) return err.detail;
    if (err.status === 0) return t("error.network");
    return t("error.unexpected", { status: err.status });
  }
  return String(err && err.message ? err.message : err);
}
