import { NavLink, Outlet, Link, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, session } from "../lib/api/client";
import { useMe, useSession } from "../lib/useSession";

function ReconnectingNotice() {
  const { connection } = useSession();
  return (
    <div className="reconnecting" role="status" aria-live="polite">
      {connection === "reconnecting" ? "Reconnecting…" : ""}
    </div>
  );
}

function UnreadBadge() {
  const { data } = $api.useQuery("get", "/v1/notifications", { params: { query: { limit: 1 } } },
    { refetchInterval: 60_000, staleTime: 30_000 });
  const count = data?.unread_count ?? 0;
  return count > 0 ? <span className="badge" aria-label={`${count} unread`}>{count > 99 ? "99+" : count}</span> : null;
}

export function Layout() {
  const { signedIn } = useSession();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  async function signOut() {
    await api.POST("/v1/auth/logout").catch(() => undefined);
    session.clear();
    queryClient.clear();
    navigate("/login", { replace: true });
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Easel home">
          <img src="/icon.svg" alt="" width="28" height="28" /> <span>Easel</span>
        </Link>
        <nav aria-label="Main" className="mainnav">
          {signedIn && <NavLink to="/" end>Home</NavLink>}
          <NavLink to="/discover">Discover</NavLink>
          <NavLink to="/jobs">Jobs</NavLink>
          {signedIn && <NavLink to="/messages">Messages</NavLink>}
          {signedIn && <NavLink to="/notifications">Notifications<UnreadBadge /></NavLink>}
        </nav>
        <div className="account">
          {signedIn ? (
            <>
              <NavLink to="/new" className="button">New post</NavLink>
              {me.data && <NavLink to={`/@${me.data.handle}`} className="me-link">@{me.data.handle}</NavLink>}
              <NavLink to="/settings" aria-label="Settings" className="icon-link">⚙</NavLink>
              <button type="button" className="link" onClick={signOut}>Sign out</button>
            </>
          ) : (
            <>
              <NavLink to="/login">Sign in</NavLink>
              <NavLink to="/signup" className="button">Join</NavLink>
            </>
          )}
        </div>
      </header>
      <ReconnectingNotice />
      <main id="main" className="content">
        <Outlet />
      </main>
      {signedIn && (
        <nav aria-label="Shortcuts" className="tabbar">
          <NavLink to="/" end>Home</NavLink>
          <NavLink to="/discover">Discover</NavLink>
          <NavLink to="/new">Post</NavLink>
          <NavLink to="/notifications">Alerts</NavLink>
          <NavLink to="/messages">Inbox</NavLink>
        </nav>
      )}
    </div>
  );
}
