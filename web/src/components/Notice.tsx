import { apiError } from "../lib/api/client";

/** An error from the API (its `{"error": {...}}` body), a thrown ApiError, or nothing. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  return <p className="notice notice--error" role="alert">{apiError(error).message}</p>;
}
