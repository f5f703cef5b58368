// The one API client: where the API is (config.json), who is signed in (access token in
// memory, refresh token in localStorage, renewed before expiry and on 401), problem+json
// answers turned into messages, and uploads with progress.

const REFRESH_KEY = "soundshelf.refreshToken";
const RENEW_BEFORE_MS = 60_000;
const OFFLINE = "Cannot reach Soundshelf. Check your connection and try again.";

let apiBase = "";
let access = null; // { token, expiresAt }
let user = null; // GET /me of the signed-in user
let renewTimer = 0;
let renewing = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(messageOf(status, problem, retryAfter));
    this.status = status;
    this.code = problem.code || (status ? "error" : "offline");
    this.fields = fieldsOf(problem.errors);
  }
}

function messageOf(status, problem, retryAfter) {
  if (!status) return OFFLINE;
  const text = problem.detail || problem.title || `The server answered ${status}.`;
  return retryAfter ? `${text} Try again in ${retryAfter} s.` : text;
}

// Validation errors name their field as ["body", "title"]: forms show them there.
function fieldsOf(errors) {
  const fields = {};
  for (const error of errors || []) {
    const [where, name] = error.location || [];
    if (where === "body" && name && !fields[name]) fields[name] = error.message;
  }
  return fields;
}

async function errorOf(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    // Not problem+json (a proxy's error page): the status says enough.
  }
  return new ApiError(response.status, problem, response.headers.get("Retry-After"));
}

/**
 * Calls `/api/v1{path}` and returns the JSON answer (null for 204).
 * Options: method, body (sent as JSON), headers, signal, auth (false: send no token).
 */
export async function api(path, options = {}) {
  const response = await send(path, options);
  return response.status === 204 ? null : response.json();
}

async function send(path, { method = "GET", body, headers, signal, auth = true }, retried) {
  if (auth && access && Date.now() > access.expiresAt - 5_000) await renew();
  const allHeaders = { Accept: "application/json", ...headers };
  if (body !== undefined) allHeaders["Content-Type"] = "application/json";
  if (auth && access) allHeaders.Authorization = `Bearer ${access.token}`;
  let response;
  try {
    response = await fetch(`${apiBase}/api/v1${path}`, {
      method,
      headers: allHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0);
  }
  // A token can lapse while the tab sleeps (timers are throttled): renew once, repeat.
  if (response.status === 401 && auth && access && !retried && (await renew())) {
    return send(path, { method, body, headers, signal, auth }, true);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

// --- session ----------------------------------------------------------------------------

/** Reads config.json and resumes the stored session, if any. */
export async function start() {
  try {
    const config = await (await fetch("/config.json")).json();
    apiBase = (config.apiBase || "").replace(/\/+$/, "");
  } catch {
    // No config.json: the API is on this origin.
  }
  addEventListener("storage", onOtherTab);
  if (localStorage.getItem(REFRESH_KEY) && (await renew())) await loadUser();
}

export const currentUser = () => user;

/** `fn(reason)` runs after every sign-in and sign-out; reason explains a forced one. */
export function onSessionChange(fn) {
  listeners.add(fn);
}

function emit(reason) {
  for (const fn of listeners) fn(reason);
}

/** `signInLink`: the token of a mailed sign-in link, which gets past the throttle. */
export async function signIn(username, password, signInLink = null) {
  const tokens = await api("/auth/login", {
    method: "POST",
    body: signInLink ? { username, password, signInLink } : { username, password },
    auth: false,
  });
  setTokens(tokens);
  await loadUser();
}

export async function signOut() {
  try {
    await api("/auth/logout", { method: "POST" });
  } catch {
    // The tokens are dropped here either way.
  }
  endSession();
}

/** Reloads the profile (after roles change, e.g. becoming an artist). */
export async function loadUser() {
  try {
    user = await api("/me");
  } catch (error) {
    if (error.status !== 401) throw error;
  }
  emit();
}

/** Goes on with new tokens the server handed out (e.g. after a password change). */
export function adoptTokens(tokens) {
  setTokens(tokens);
}

function setTokens(tokens) {
  access = { token: tokens.accessToken, expiresAt: Date.now() + tokens.expiresIn * 1000 };
  // Cognito answers a refresh without a new refresh token: keep the one we have.
  if (tokens.refreshToken) localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
  schedule(Math.max(5_000, tokens.expiresIn * 1000 - RENEW_BEFORE_MS));
}

function schedule(ms) {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(renew, ms);
}

/** Drops this tab's session without asking the server (it already ended it). */
export function endSession(reason) {
  clearTimeout(renewTimer);
  access = null;
  user = null;
  localStorage.removeItem(REFRESH_KEY);
  emit(reason);
}

/** Trades the refresh token for new tokens; false once the session is over. */
function renew() {
  renewing ??= withLock(refreshNow).finally(() => {
    renewing = null;
  });
  return renewing;
}

// Refresh tokens are single-use, so tabs take turns (Web Locks where available).
function withLock(fn) {
  return navigator.locks ? navigator.locks.request("soundshelf-refresh", fn) : fn();
}

async function refreshNow() {
  // Read inside the lock: another tab may have just rotated it.
  const refreshToken = localStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return false;
  try {
    const tokens = await api("/auth/refresh", {
      method: "POST",
      body: { refreshToken },
      auth: false,
    });
    setTokens(tokens);
    return true;
  } catch (error) {
    if (error.status === 0 || error.status >= 500) {
      schedule(30_000); // offline or a hiccup: keep the session and try again soon
      return false;
    }
    endSession(access ? "Your session has ended. Please sign in again." : undefined);
    return false;
  }
}

// Signing out in one tab signs out all of them; signing in elsewhere is picked up here.
async function onOtherTab(event) {
  if (event.key !== REFRESH_KEY) return;
  if (event.newValue === null && user) endSession();
  else if (event.newValue && !user && (await renew())) await loadUser();
}

// --- uploads ----------------------------------------------------------------------------

/**
 * Reserves an upload, sends the bytes straight to storage and completes it.
 * `onProgress(sentBytes)` follows the bytes; returns the upload id to poll.
 */
export async function uploadFile(file, { onProgress, signal }) {
  const created = await api("/uploads", {
    method: "POST",
    body: {
      filename: file.name,
      contentType: file.type || "application/octet-stream",
      size: file.size,
    },
    signal,
  });
  const parts = created.multipart
    ? await sendParts(file, created.multipart, onProgress, signal)
    : await sendWhole(file, created.upload, onProgress, signal);
  await api(`/uploads/${encodeURIComponent(created.uploadId)}/complete`, {
    method: "POST",
    body: { parts },
    signal,
  });
  return created.uploadId;
}

async function sendWhole(file, upload, onProgress, signal) {
  let body = file;
  if (upload.method === "POST") {
    body = new FormData();
    for (const [name, value] of Object.entries(upload.fields || {})) body.append(name, value);
    body.append("file", file);
  }
  await sendBytes({ ...upload, body, onProgress, signal });
  return [];
}

async function sendParts(file, multipart, onProgress, signal) {
  const done = [];
  let sent = 0;
  for (const { partNumber, url } of multipart.parts) {
    const start = (partNumber - 1) * multipart.partSize;
    const body = file.slice(start, start + multipart.partSize);
    const etag = await sendBytes({
      method: "PUT",
      url,
      body,
      onProgress: (loaded) => onProgress(sent + loaded),
      signal,
    });
    sent += body.size;
    done.push({ partNumber, etag });
  }
  return done;
}

// XHR, not fetch: only XHR reports upload progress. Resolves with the ETag header.
function sendBytes({ method, url, headers = {}, body, onProgress, signal }) {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status < 300) resolve(xhr.getResponseHeader("ETag"));
      else reject(new ApiError(xhr.status, parseProblem(xhr.responseText)));
    };
    xhr.onerror = () => reject(new ApiError(0));
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function parseProblem(text) {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
