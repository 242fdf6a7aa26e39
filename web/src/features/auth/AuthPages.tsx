import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api, apiError, session, type ApiError } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

function useAfterSignIn() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  return () => {
    queryClient.clear();
    const from = (location.state as { from?: string } | null)?.from;
    navigate(from && from !== "/login" && from !== "/signup" ? from : "/", { replace: true });
  };
}

export function SignupPage() {
  usePageTitle("Create your account");
  const done = useAfterSignIn();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await api.POST("/v1/auth/signup", { body: {
      handle: String(form.get("handle")).trim().replace(/^@/, "").toLowerCase(),
      email: String(form.get("email")).trim(),
      password: String(form.get("password")),
    } });
    setBusy(false);
    if (result.data) {
      session.signIn(result.data.tokens);
      done();
    } else setError(apiError(result.error));
  }

  return (
    <section className="auth-card">
      <h1>Join Easel</h1>
      <p className="muted">A home for human-made art. No AI-generated work, and your images are marked “do not train”.</p>
      <form onSubmit={submit} className="stack">
        <label>Handle<input name="handle" autoComplete="username" required minLength={3} maxLength={30} /></label>
        <label>Email<input name="email" type="email" autoComplete="email" required /></label>
        <label>Password<input name="password" type="password" autoComplete="new-password" required /></label>
        <p className="hint">At least 10 characters; a few words you will remember work well.</p>
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>Create account</button>
      </form>
      <p>Already have an account? <Link to="/login">Sign in</Link></p>
    </section>
  );
}

export function LoginPage() {
  usePageTitle("Sign in");
  const done = useAfterSignIn();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await api.POST("/v1/auth/login", { body: {
      handle: String(form.get("handle")).trim().replace(/^@/, "").toLowerCase(),
      password: String(form.get("password")),
    } });
    setBusy(false);
    if (result.data) {
      session.signIn(result.data.tokens);
      done();
    } else setError(apiError(result.error));
  }

  return (
    <section className="auth-card">
      <h1>Welcome back</h1>
      <form onSubmit={submit} className="stack">
        <label>Handle<input name="handle" autoComplete="username" required /></label>
        <label>Password<input name="password" type="password" autoComplete="current-password" required /></label>
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <p><Link to="/reset-password">Forgot your password?</Link></p>
      <p>New to Easel? <Link to="/signup">Create account</Link></p>
    </section>
  );
}

export function VerifyEmailPage() {
  usePageTitle("Confirm your e-mail");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [state, setState] = useState<"idle" | "done" | ApiError>("idle");

  async function confirm() {
    const result = await api.POST("/v1/auth/verify", { body: { token } });
    setState(result.error ? apiError(result.error) : "done");
  }

  return (
    <section className="auth-card">
      <h1>Confirm your e-mail</h1>
      {state === "done" ? (
        <p role="status">Thank you, your e-mail address is confirmed. <Link to="/">Go to Easel</Link></p>
      ) : (
        <>
          <p>Confirm that this e-mail address is yours.</p>
          {typeof state === "object" && <ErrorNotice error={state} />}
          <button type="button" onClick={confirm} disabled={!token}>Confirm e-mail</button>
        </>
      )}
    </section>
  );
}

export function ResetPasswordPage() {
  usePageTitle("Reset your password");
  const [params] = useSearchParams();
  const token = params.get("token");
  const navigate = useNavigate();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function request(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email")).trim();
    const result = await api.POST("/v1/auth/password-reset", { body: { email } });
    if (result.error) setError(apiError(result.error));
    else setMessage("If that address has an account, a link to reset the password is on its way.");
  }

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("password"));
    const result = await api.POST("/v1/auth/password-reset/confirm", { body: { token: token ?? "", password } });
    if (result.error) setError(apiError(result.error));
    else {
      session.clear();
      navigate("/login", { replace: true });
    }
  }

  return (
    <section className="auth-card">
      <h1>Reset your password</h1>
      {token ? (
        <form onSubmit={confirm} className="stack">
          <label>New password<input name="password" type="password" autoComplete="new-password" required /></label>
          <ErrorNotice error={error} />
          <button type="submit">Set new password</button>
        </form>
      ) : (
        <form onSubmit={request} className="stack">
          <label>Email<input name="email" type="email" autoComplete="email" required /></label>
          <ErrorNotice error={error} />
          {message && <p role="status">{message}</p>}
          <button type="submit">Send reset link</button>
        </form>
      )}
    </section>
  );
}
