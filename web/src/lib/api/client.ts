// The API client, configured once: typed calls from the generated schema (openapi-fetch),
// TanStack Query hooks over them (openapi-react-query), every request through the session.
// New features (e.g. /admin, /moderation) call `$api.useQuery("get", "/v1/…")` or `api.GET`.
import createFetchClient from "openapi-fetch";
import createQueryHooks from "openapi-react-query";
import type { components, paths } from "./schema";
import { createSession } from "../session";

export type Schemas = components["schemas"];
export type Post = Schemas["Post"];
export type ListedPost = Schemas["ListedPost"];
export type Variant = Schemas["Variant"];

const origin = typeof location === "undefined" ? "" : location.origin;

const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;

export const session = createSession({
  fetch: (request) => fetch(request),
  storage: typeof localStorage === "undefined" ? null : localStorage,
  baseUrl: origin,
  lock: locks ? <T,>(fn: () => Promise<T>) => locks.request("easel-session-refresh", fn) as Promise<T> : undefined,
});

if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => session.handleStorage(event));
}

// GETs revalidate with the server (ETag → 304 is cheap) instead of trusting the browser's copy
// of a public response (max-age): after a change the app must see its own write at once.
export const api = createFetchClient<paths>({
  baseUrl: origin,
  fetch: (request) => session.fetch(request.method === "GET" ? new Request(request, { cache: "no-cache" }) : request),
});
export const $api = createQueryHooks(api);

/** The API's error shape, `{"error": {"code", "message", "field"?}}`, read defensively. */
export interface ApiError {
  code: string;
  message: string;
  field?: string;
}

export function apiError(error: unknown): ApiError {
  const own = error as Partial<ApiError> | undefined;
  if (own && typeof own.message === "string" && typeof own.code === "string") return own as ApiError;
  const inner = (error as { error?: Partial<ApiError> } | undefined)?.error;
  if (inner && typeof inner.message === "string") {
    return { code: inner.code ?? "error", message: inner.message, field: inner.field };
  }
  if (error instanceof Error) return { code: "network", message: "Easel could not be reached. Try again." };
  return { code: "error", message: "Something went wrong. Try again." };
}

/** Throw the API's error so TanStack Query treats it as one; return the data otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const err = apiError(result.error) as ApiError & { status?: number; retryAfter?: string | null };
    err.status = result.response.status;
    err.retryAfter = result.response.headers.get("retry-after");
    throw err;
  }
  return result.data;
}
