import { Link } from "react-router";
import { usePageTitle } from "./usePageTitle";

/** The page a signed-in person sees on an area their role does not open (the API said 403). */
export function Forbidden({ area, role }: { area: string; role: string }) {
  usePageTitle("Not allowed");
  return (
    <section className="not-found" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">403 — not allowed</h1>
      <p>The {area} is for people with the <strong>{role}</strong> role, and your account does not have it.</p>
      <p>If you should have access, ask a founder to grant the role, then sign in again.</p>
      <p><Link to="/">Back to your feed</Link></p>
    </section>
  );
}
