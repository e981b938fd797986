// Talking to Shelfkeeper's REST API: the API key, the envelope, and errors with their stable codes.

const KEY_NAME = "shelfkeeper.apiKey";

/** The API key, kept in this browser's local storage (a private window may refuse storage: then memory). */
export const apiKey = {
  /** @type {string | null} */
  memory: null,
  get() {
    try {
      return window.localStorage.getItem(KEY_NAME) || this.memory;
    } catch {
      return this.memory;
    }
  },
  set(key) {
    this.memory = key;
    try {
      window.localStorage.setItem(KEY_NAME, key);
    } catch {
      // Storage refused (private mode, quota): the key lives until the tab closes.
    }
  },
  clear() {
    this.memory = null;
    try {
      window.localStorage.removeItem(KEY_NAME);
    } catch {
      // Nothing stored.
    }
  },
};

/** An API answer that is not a success: the envelope's ``error`` and ``error_code`` (and ``details``). */
export class ApiError extends Error {
  /** @param {{status: number, code: string, message: string, details?: any}} fields */
  constructor({ status, code, message, details = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** @type {(error: ApiError) => void} */
let unauthorizedHandler = () => {};

/**
 * Call ``handler(error)`` whenever the API refuses the key (the key is forgotten first).
 * @param {(error: ApiError) => void} handler
 */
export function whenUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function urlOf(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
}

async function envelopeOf(response) {
  try {
    return await response.json();
  } catch {
    return null; // a proxy's HTML error page, an empty body
  }
}

/**
 * One API call; resolves to the envelope's ``data`` or throws an ApiError.
 * @param {string} method
 * @param {string} path
 * @param {{query?: object, body?: unknown}} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, { query, body } = {}) {
  const headers = { Accept: "application/json" };
  const key = apiKey.get();
  if (key) headers["X-Api-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(urlOf(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError({
      status: 0,
      code: "NETWORK_ERROR",
      message: `Shelfkeeper did not answer (${error instanceof Error ? error.message : String(error)}). Is it running, and is this the right address?`,
    });
  }
  const envelope = await envelopeOf(response);
  const isEnvelope = envelope !== null && typeof envelope === "object" && "success" in envelope;
  if (isEnvelope && envelope.success && response.ok) return envelope.data;
  const error = new ApiError({
    status: response.status,
    code: (isEnvelope && envelope.error_code) || `HTTP_${response.status}`,
    message: (isEnvelope && envelope.error) || `Unexpected answer: ${response.status} ${response.statusText}`.trim(),
    details: isEnvelope ? envelope.details ?? null : null,
  });
  // A late answer to a call made with an older key must not throw away the key just entered.
  if (response.status === 401 && apiKey.get() === key) {
    apiKey.clear();
    unauthorizedHandler(error);
  }
  throw error;
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body) => request("POST", path, { body }),
  put: (path, body) => request("PUT", path, { body }),
  patch: (path, body) => request("PATCH", path, { body }),
  delete: (path, query) => request("DELETE", path, { query }),
};
