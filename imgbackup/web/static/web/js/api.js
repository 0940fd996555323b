// The v2 API as seen from the signed-in browser: the session cookie authenticates and unsafe
// methods carry the CSRF token from the page's <meta name="csrf-token">.

export const API = "/api/v2";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The CSRF token: from the cookie, which stays current when a login in another tab rotates
 * it, else the one the page was rendered with. */
export function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** Turn an error answer ({"error": {code, message}}) or a failed request into an ApiError. */
export function errorFrom(status, body) {
  const error = body && body.error;
  if (error) return new ApiError(status, error.code, error.message);
  if (status === 0) return new ApiError(0, "network", "the server could not be reached");
  return new ApiError(status, "http_" + status, `the server answered ${status}`);
}

let signedOutHandler = null;

/** Who answers a 401 (signed out, in another tab or by an admin): ``handler()`` returns true
 * when it took care of it (the uploader keeps its list and says so), false to let the page go
 * to the login form as usual. */
export function onSignedOut(handler) {
  signedOutHandler = handler;
}

function signedOut() {
  if (signedOutHandler && signedOutHandler()) return;
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/login?next=${next}`);
}

export async function api(path, { method = "GET", body, query } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let url = API + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
    if ([...params].length) url += "?" + params;
  }
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw errorFrom(0, null);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401) signedOut();
    throw errorFrom(response.status, data);
  }
  return data;
}

/**
 * Upload one file with XMLHttpRequest (fetch cannot report upload progress).
 * Returns {promise, abort}; the promise resolves with {status, body} for any HTTP answer and
 * rejects with an ApiError only when the request did not complete.
 */
export function uploadPhoto(file, { sha256, onProgress }) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name);
    if (sha256) form.append("sha256", sha256);
    if (file.lastModified) form.append("last_modified", String(file.lastModified));
    xhr.open("POST", API + "/photos");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener("load", () => resolve({ status: xhr.status, body: xhr.response }));
    xhr.addEventListener("error", () => reject(errorFrom(0, null)));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "cancelled")));
    xhr.addEventListener("timeout", () => reject(new ApiError(0, "timeout", "timed out")));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
