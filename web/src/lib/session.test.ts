// The session module with fake timers and a fake network edge (the fetch it is given):
// refresh before expiry, one refresh shared by concurrent 401s, Retry-After honoured on
// 429/503, and a valid session never ended by throttling or a transient error.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSession, retryAfterMs } from "./session";

type Handler = (req: Request) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function tokens(n: number, expiresIn = 900) {
  return { tokens: { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: "Bearer", expires_in: expiresIn } };
}

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
    data,
  };
}

/** A fake API: refresh rotates tokens; other routes accept only the current access token. */
function fakeApi(options: { refresh?: Handler; route?: Handler } = {}) {
  let n = 1;
  const calls: { url: string; auth: string | null }[] = [];
  const fetch = vi.fn(async (req: Request) => {
    const url = new URL(req.url).pathname;
    calls.push({ url, auth: req.headers.get("authorization") });
    if (url === "/v1/auth/refresh") {
      if (options.refresh) return options.refresh(req);
      n += 1;
      return json(200, tokens(n));
    }
    if (options.route) return options.route(req);
    return req.headers.get("authorization") === `Bearer access-${n}`
      ? json(200, { ok: true })
      : json(401, { error: { code: "invalid_token", message: "expired" } });
  });
  return { fetch, calls, current: () => n };
}

const NOW = Date.UTC(2026, 0, 1);
const req = (path = "/v1/me") => new Request(`http://easel.test${path}`);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("session", () => {
  it("refreshes shortly before the access token expires, without any request", async () => {
    const api = fakeApi();
    const s = createSession({ fetch: api.fetch, storage: memoryStorage(), baseUrl: "http://easel.test" });
    s.signIn(tokens(1, 900).tokens);
    await vi.advanceTimersByTimeAsync(900_000 - 61_000);
    expect(api.calls.filter((c) => c.url === "/v1/auth/refresh")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.calls.filter((c) => c.url === "/v1/auth/refresh")).toHaveLength(1);
    expect(s.current()?.access).toBe("access-2");
    // ... and again before the new token expires.
    await vi.advanceTimersByTimeAsync(900_000);
    expect(api.calls.filter((c) => c.url === "/v1/auth/refresh")).toHaveLength(2);
    expect(s.isSignedIn()).toBe(true);
  });

  it("refreshes first when a request finds the token already expired (e.g. after a reload)", async () => {
    const storage = memoryStorage();
    storage.setItem("easel.session", JSON.stringify({ access: "access-1", refresh: "refresh-1", expiresAt: NOW - 1 }));
    const api = fakeApi();
    const s = createSession({ fetch: api.fetch, storage, baseUrl: "http://easel.test" });
    const res = await s.fetch(req());
    expect(res.status).toBe(200);
    expect(api.calls.map((c) => c.url)).toEqual(["/v1/auth/refresh", "/v1/me"]);
    expect(JSON.parse(storage.getItem("easel.session")!).refresh).toBe("refresh-2");
  });

  it("shares one refresh between concurrent requests that got a 401, then retries each once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let n = 1;
    const api = fakeApi({
      refresh: async () => {
        await gate;
        n += 1;
        return json(200, tokens(n));
      },
      route: (r) => (r.headers.get("authorization") === `Bearer access-${n}` ? json(200, { ok: 1 }) : json(401, { error: { code: "invalid_token", message: "x" } })),
    });
    const s = createSession({ fetch: api.fetch, storage: memoryStorage(), baseUrl: "http://easel.test" });
    s.signIn(tokens(0).tokens); // the server knows access-1, not access-0: every request gets 401
    const all = Promise.all([s.fetch(req("/v1/a")), s.fetch(req("/v1/b")), s.fetch(req("/v1/c"))]);
    await vi.advanceTimersByTimeAsync(0);
    release();
    const responses = await all;
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(api.calls.filter((c) => c.url === "/v1/auth/refresh")).toHaveLength(1);
    expect(api.calls.filter((c) => c.url !== "/v1/auth/refresh")).toHaveLength(6); // each: 401, then retry
  });

  it("honours Retry-After on 429 and 503 and shows reconnecting meanwhile", async () => {
    let calls = 0;
    const api = fakeApi({
      route: () => {
        calls += 1;
        if (calls === 1) return json(503, { error: { code: "unavailable", message: "busy" } }, { "retry-after": "3" });
        if (calls === 2) return json(429, { error: { code: "throttled", message: "slow" } }, { "retry-after": "2" });
        return json(200, { ok: true });
      },
    });
    const s = createSession({ fetch: api.fetch, storage: memoryStorage(), baseUrl: "http://easel.test" });
    s.signIn(tokens(1).tokens);
    const pending = s.fetch(req());
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(s.connection()).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(2_900);
    expect(calls).toBe(1); // not before Retry-After
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(calls).toBe(3);
    expect(s.connection()).toBe("online");
  });

  it("returns a long Retry-After to the caller (e.g. an upload limit) instead of waiting hours", async () => {
    const api = fakeApi({ route: () => json(429, { error: { code: "upload_limit", message: "later" } }, { "retry-after": "3600" }) });
    const s = createSession({ fetch: api.fetch, storage: memoryStorage(), baseUrl: "http://easel.test" });
    s.signIn(tokens(1).tokens);
    const res = await s.fetch(req("/v1/posts"));
    expect(res.status).toBe(429);
    expect(s.isSignedIn()).toBe(true);
  });

  it("never ends a valid session when the refresh itself is throttled or the network is down", async () => {
    let attempt = 0;
    const api = fakeApi({
      refresh: () => {
        attempt += 1;
        if (attempt === 1) return json(503, { error: { code: "unavailable", message: "busy" } }, { "retry-after": "1" });
        if (attempt === 2) throw new TypeError("Failed to fetch");
        if (attempt === 3) return json(500, { error: { code: "internal", message: "oops" } });
        return json(200, tokens(2));
      },
      route: (r) => json(r.headers.get("authorization") === "Bearer access-2" ? 200 : 401, {}),
    });
    const storage = memoryStorage();
    const s = createSession({ fetch: api.fetch, storage, baseUrl: "http://easel.test" });
    s.signIn({ ...tokens(1).tokens, expires_in: 0 });
    const pending = s.fetch(req());
    await vi.advanceTimersByTimeAsync(0);
    expect(s.connection()).toBe("reconnecting");
    expect(s.isSignedIn()).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(attempt).toBe(4);
    expect(s.isSignedIn()).toBe(true);
    expect(storage.getItem("easel.session")).toContain("refresh-2");
  });

  it("ends the session only when the server refuses the refresh token", async () => {
    const api = fakeApi({ refresh: () => json(401, { error: { code: "invalid_refresh_token", message: "reused" } }) });
    const storage = memoryStorage();
    const s = createSession({ fetch: api.fetch, storage, baseUrl: "http://easel.test" });
    s.signIn(tokens(0).tokens);
    const res = await s.fetch(req());
    expect(res.status).toBe(401);
    expect(s.isSignedIn()).toBe(false);
    expect(storage.getItem("easel.session")).toBeNull();
  });

  it("adopts tokens another tab already rotated instead of reusing the old refresh token", async () => {
    const storage = memoryStorage();
    const api = fakeApi();
    const s = createSession({ fetch: api.fetch, storage, baseUrl: "http://easel.test" });
    s.signIn(tokens(0).tokens);
    // Another tab refreshed meanwhile (the server now knows access-1 / refresh-1).
    storage.setItem("easel.session", JSON.stringify({ access: "access-1", refresh: "refresh-1", expiresAt: NOW + 900_000 }));
    const res = await s.fetch(req());
    expect(res.status).toBe(200);
    expect(api.calls.filter((c) => c.url === "/v1/auth/refresh")).toHaveLength(0);
  });
});

describe("cancelled requests", () => {
  it("are neither retried nor reported as a connection problem", async () => {
    const api = fakeApi({ route: () => { throw new DOMException("The operation was aborted.", "AbortError"); } });
    const s = createSession({ fetch: api.fetch, storage: memoryStorage(), baseUrl: "http://easel.test" });
    s.signIn(tokens(1).tokens);
    const controller = new AbortController();
    controller.abort();
    await expect(s.fetch(new Request("http://easel.test/v1/me", { signal: controller.signal }))).rejects.toThrow();
    expect(api.calls.filter((c) => c.url === "/v1/me")).toHaveLength(1);
    expect(s.connection()).toBe("online");
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, with a default", () => {
    expect(retryAfterMs("5", NOW)).toBe(5000);
    expect(retryAfterMs(new Date(NOW + 7000).toUTCString(), NOW)).toBe(7000);
    expect(retryAfterMs(null, NOW)).toBe(2000);
    expect(retryAfterMs("soon", NOW)).toBe(2000);
  });
});
