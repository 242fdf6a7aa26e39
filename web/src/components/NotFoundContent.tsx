import { Link } from "react-router";

export function NotFoundContent({ what = "page" }: { what?: string }) {
  return (
    <section className="not-found">
      <h1>{what === "page" ? "Page not found" : `No such ${what}`}</h1>
      <p>There is nothing at this address. It may have been removed, or the link mistyped.</p>
      <p><Link to="/">Back to your feed</Link> · <Link to="/discover">Discover art</Link></p>
    </section>
  );
}
