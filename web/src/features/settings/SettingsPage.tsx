import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, apiError, session, type ApiError } from "../../lib/api/client";
import { useMe } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

/** "Chrome on Linux" rather than the whole user-agent string. */
function device(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari" : /curl|python|okhttp/i.test(ua) ? "An app" : "A browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS"
    : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

export function SettingsPage() {
  usePageTitle("Settings");
  const me = useMe();
  return (
    <section className="settings stack-lg">
      <h1>Settings</h1>
      <p><Link to="/settings/profile">Edit your profile</Link> (name, bio, links, avatar and banner)</p>
      <p><Link to="/import">Import your work</Link> from an Instagram export or an Easel archive</p>
      {me.data && <MatureSetting showMature={me.data.settings.show_mature} />}
      <EmailSetting email={me.data?.email} />
      <ArchiveSetting />
      <Sessions />
      <DeleteAccount />
    </section>
  );
}

function MatureSetting({ showMature }: { showMature: boolean }) {
  const queryClient = useQueryClient();
  const patch = $api.useMutation("patch", "/v1/me", {
    onSuccess: (data) => {
      queryClient.setQueryData(["get", "/v1/me", {}], data);
      void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[1] !== "/v1/me" });
    },
  });
  return (
    <section className="card">
      <h2>Mature content</h2>
      <label className="check">
        <input type="checkbox" checked={showMature} disabled={patch.isPending}
          onChange={(e) => patch.mutate({ body: { show_mature: e.target.checked } })} />
        Show mature work without asking
      </label>
      <p className="hint">When off, mature work stays hidden behind a “Show mature work” button.</p>
      <ErrorNotice error={patch.error ? apiError(patch.error) : null} />
    </section>
  );
}

function EmailSetting({ email }: { email?: string }) {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function resend() {
    const res = await api.POST("/v1/auth/verify/resend");
    if (res.error) return setError(apiError(res.error));
    setError(null);
    setMessage(res.data.status === "already_verified" ? "Your e-mail address is already confirmed."
      : "A new confirmation link is on its way; it works once.");
  }
  return (
    <section className="card">
      <h2>E-mail</h2>
      <p>{email ?? "…"}</p>
      <button type="button" className="secondary" onClick={resend}>Send the confirmation link again</button>
      {message && <p role="status">{message}</p>}
      <ErrorNotice error={error} />
    </section>
  );
}

/** "1.2 MB" */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

const ARCHIVE_STATE: Record<string, string> = {
  none: "No archive yet", queued: "Queued", building: "Being built", ready: "Ready", failed: "Failed", expired: "Expired",
};

/** Your data as a ZIP: ask (one a day; a 429 says when again), then its state, size and link. */
function ArchiveSetting() {
  const queryClient = useQueryClient();
  const q = $api.useQuery("get", "/v1/me/archive", {}, {
    refetchInterval: (query) => (["queued", "building"].includes(query.state.data?.state ?? "") ? 2000 : false),
  });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  async function ask() {
    setBusy(true);
    const res = await api.POST("/v1/me/archive");
    setBusy(false);
    if (res.error) {
      const err = apiError(res.error);
      const retry = Number(res.response.headers.get("retry-after"));
      if (res.response.status === 429 && retry > 0) {
        const when = new Date(Date.now() + retry * 1000).toLocaleString();
        return setError({ ...err, message: `${err.message} You can ask again after ${when}.` });
      }
      return setError(err);
    }
    setError(null);
    queryClient.setQueryData(["get", "/v1/me/archive", {}], res.data);
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/me/archive"] });
  }
  const a = q.data;
  return (
    <section className="card">
      <h2>Your archive</h2>
      <p className="hint">A ZIP of your posts (originals), profile, comments and collections; one a day.</p>
      {a && (
        <p role="status">
          Archive: <strong>{ARCHIVE_STATE[a.state] ?? a.state}</strong>
          {a.size != null && <> ({size(a.size)})</>}
          {a.requested_at && <span className="muted">, asked {new Date(a.requested_at).toLocaleString()}</span>}
        </p>
      )}
      {a?.error && <p className="notice notice--error">{a.error}</p>}
      {a?.download_url && (
        <p><a href={a.download_url} download>Download the archive</a>
          {a.expires_at && <span className="muted"> (link valid until {new Date(a.expires_at).toLocaleString()})</span>}</p>
      )}
      <ErrorNotice error={error} />
      <button type="button" className="secondary" disabled={busy} onClick={() => void ask()}>Download my archive</button>
    </section>
  );
}

function Sessions() {
  const queryClient = useQueryClient();
  const q = $api.useQuery("get", "/v1/auth/sessions");
  const navigate = useNavigate();
  const [error, setError] = useState<ApiError | null>(null);
  async function end(id: string) {
    const res = await api.DELETE("/v1/auth/sessions/{session_id}", { params: { path: { session_id: id } } });
    if (res.error) setError(apiError(res.error));
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/auth/sessions"] });
  }
  async function everywhere() {
    const res = await api.POST("/v1/auth/logout-all");
    if (res.error) return setError(apiError(res.error));
    session.clear();
    queryClient.clear();
    navigate("/login", { replace: true });
  }
  return (
    <section className="card">
      <h2>Where you are signed in</h2>
      <ul className="session-list">
        {q.data?.items.map((s) => (
          <li key={s.id}>
            <span title={s.user_agent ?? undefined}>{device(s.user_agent)}{s.current && <strong> (this device)</strong>}</span>
            <span className="muted">last used {new Date(s.last_used_at).toLocaleString()}</span>
            {!s.current && <button type="button" className="link" onClick={() => void end(s.id)}>End session</button>}
          </li>
        ))}
      </ul>
      <ErrorNotice error={error} />
      <button type="button" className="secondary" onClick={everywhere}>Sign out everywhere</button>
    </section>
  );
}

function DeleteAccount() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<ApiError | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("password") ?? "");
    if (!window.confirm("Delete your account and all your work? This cannot be undone.")) return;
    const res = await api.DELETE("/v1/me", { body: { password } });
    if (res.error) return setError(apiError(res.error));
    session.clear();
    queryClient.clear();
    navigate("/", { replace: true });
  }
  return (
    <section className="card card--danger">
      <h2>Delete account</h2>
      <p>Your posts, comments, messages and profile are erased. This cannot be undone.</p>
      <form onSubmit={submit} className="stack">
        <label>Password<input name="password" type="password" autoComplete="current-password" required /></label>
        <ErrorNotice error={error} />
        <button type="submit" className="danger">Delete my account</button>
      </form>
    </section>
  );
}
