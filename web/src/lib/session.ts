// The session: one small module (HOUSE_STYLE web habit 3).
// - Tokens live in localStorage so a reload keeps the person signed in.
// - The access token is refreshed shortly before it expires (a timer), and on demand when a
//   request finds it (nearly) expired.
// - One refresh in flight at a time, shared by every request that got a 401; the refresh
//   token rotates and reuse ends the session on the server, so never two refreshes at once
//   (across tabs too, with the Web Locks API where the browser has it).
// - 429/503 and network errors are transient: the request waits for `Retry-After` and tries
//   again while a quiet "Reconnecting…" notice shows. Only the server's explicit refusal of
//   the refresh token (400/401/403) ends the session; nothing transient ever signs a person out.

import type { components } from "./api/schema";

export type Tokens = components["schemas"]["Tokens"];

export interface StoredSession {
  access: string;
  refresh: string;
  /** epoch milliseconds at which the access token expires */
  expiresAt: number;
}

export type Connection = "online" | "reconnecting";

export interface SessionOptions {
  fetch: (request: Request) => Promise<Response>;
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  now?: () => number;
  baseUrl?: string;
  /** refresh this long before the access token expires */
  refreshMarginMs?: number;
  /** retry a throttled request automatically only when the server asks for at most this */
  maxAutoRetryMs?: number;
  maxAttempts?: number;
  lock?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const STORAGE_KEY = "easel.session";

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); a default when absent. */
export function retryAfterMs(header: string | null, now: number, fallbackMs = 2000): number {
  if (!header) return fallbackMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSession(options: SessionOptions) {
  const doFetch = options.fetch;
  const storage = options.storage ?? null;
  const now = options.now ?? (() => Date.now());
  const baseUrl = options.baseUrl ?? "";
  const margin = options.refreshMarginMs ?? 60_000;
  const maxAutoRetry = options.maxAutoRetryMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const lock = options.lock ?? (<T,>(fn: () => Promise<T>) => fn());

  let current: StoredSession | null = load();
  let refreshing: Promise<boolean> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let connection: Connection = "online";
  let version = 0;
  const listeners = new Set<() => void>();

  function load(): StoredSession | null {
    try {
      const raw = storage?.getItem(STORAGE_KEY);
      if (!raw) return null;
      const parsed = JSON.parse(raw) as StoredSession;
      return parsed.access && parsed.refresh ? parsed : null;
    } catch {
      return null;
    }
  }

  function emit() {
    version += 1;
    for (const listener of listeners) listener();
  }

  function setConnection(next: Connection) {
    if (connection !== next) {
      connection = next;
      emit();
    }
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!current) return;
    const wait = Math.max(1_000, current.expiresAt - margin - now());
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, wait);
  }

  function store(tokens: Tokens) {
    current = {
      access: tokens.access_token,
      refresh: tokens.refresh_token,
      expiresAt: now() + tokens.expires_in * 1000,
    };
    storage?.setItem(STORAGE_KEY, JSON.stringify(current));
    schedule();
    emit();
  }

  function clear() {
    current = null;
    storage?.removeItem(STORAGE_KEY);
    if (timer) clearTimeout(timer);
    timer = null;
    emit();
  }

  /** Refresh the tokens. Resolves true when the session is valid afterwards, false when the
   *  server ended it. Transient failures wait and try again; they never end the session. */
  function refresh(failedAccess?: string): Promise<boolean> {
    if (!current) return Promise.resolve(false);
    // A request that failed with an access token someone already replaced just retries.
    if (failedAccess && current.access !== failedAccess) return Promise.resolve(true);
    if (!refreshing) {
      refreshing = lock(runRefresh).finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  async function runRefresh(): Promise<boolean> {
    // Another tab may have rotated the tokens meanwhile: adopt them instead of reusing ours.
    const stored = load();
    if (stored && current && stored.refresh !== current.refresh) {
      current = stored;
      schedule();
      emit();
      if (stored.expiresAt - margin > now()) return true;
    }
    for (let attempt = 0; current; attempt += 1) {
      let response: Response | null = null;
      try {
        response = await doFetch(new Request(`${baseUrl}/v1/auth/refresh`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh_token: current.refresh }),
        }));
      } catch {
        response = null; // offline or the platform is restarting
      }
      if (response?.ok) {
        const body = (await response.json()) as { tokens: Tokens };
        store(body.tokens);
        setConnection("online");
        return true;
      }
      if (response && [400, 401, 403].includes(response.status)) {
        clear(); // the server says this session is over (expired, revoked, reused)
        setConnection("online");
        return false;
      }
      setConnection("reconnecting");
      const wait = response
        ? retryAfterMs(response.headers.get("retry-after"), now())
        : Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
      await sleep(Math.min(wait, maxAutoRetry));
    }
    return false;
  }

  async function accessToken(): Promise<string | null> {
    if (!current) return null;
    if (current.expiresAt - 5_000 <= now()) await refresh();
    return current?.access ?? null;
  }

  /** fetch for API calls: bearer token, one refresh-and-retry on 401, waits on 429/503. */
  async function authFetch(request: Request): Promise<Response> {
    let retried401 = false;
    for (let attempt = 1; ; attempt += 1) {
      const token = await accessToken();
      const req = request.clone();
      if (token && !req.headers.has("authorization")) req.headers.set("authorization", `Bearer ${token}`);
      let response: Response;
      try {
        response = await doFetch(req);
      } catch (error) {
        // A cancelled request (navigation, TanStack Query dropping a stale fetch) is not an outage.
        if (request.signal?.aborted || (error as Error)?.name === "AbortError") throw error;
        if (attempt >= maxAttempts) {
          setConnection("online");
          throw error;
        }
        setConnection("reconnecting");
        await sleep(Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5)));
        continue;
      }
      if (response.status === 401 && token && !retried401) {
        retried401 = true;
        if (await refresh(token)) continue;
        return response;
      }
      if (response.status === 429 || response.status === 503) {
        const wait = retryAfterMs(response.headers.get("retry-after"), now());
        if (wait <= maxAutoRetry && attempt < maxAttempts) {
          setConnection("reconnecting");
          await sleep(wait);
          continue;
        }
      }
      setConnection("online");
      return response;
    }
  }

  function handleStorage(event: { key: string | null }) {
    if (event.key !== STORAGE_KEY) return;
    current = load();
    schedule();
    emit();
  }

  if (current) schedule();

  return {
    fetch: authFetch,
    refresh,
    accessToken,
    signIn: store,
    /** Forget the tokens locally (after logout, or when the server ended the session). */
    clear,
    handleStorage,
    isSignedIn: () => current !== null,
    current: () => current,
    connection: () => connection,
    version: () => version,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type Session = ReturnType<typeof createSession>;
