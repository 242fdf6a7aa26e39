import { useSyncExternalStore } from "react";
import { $api, session } from "./api/client";

/** Re-renders on sign-in/out and on connection changes. */
export function useSession() {
  useSyncExternalStore(session.subscribe, session.version, session.version);
  return { signedIn: session.isSignedIn(), connection: session.connection() };
}

/** The signed-in person (GET /v1/me), or undefined while loading / signed out. */
export function useMe() {
  const { signedIn } = useSession();
  return $api.useQuery("get", "/v1/me", {}, { enabled: signedIn, staleTime: 60_000 });
}
