import { Navigate, Outlet, useLocation } from "react-router";
import { useSession } from "../lib/useSession";

/** Pages for signed-in people. Only a missing session (never a failed request) sends to /login. */
export function RequireAuth() {
  const { signedIn } = useSession();
  const location = useLocation();
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}
