import { Link, useNavigate, useParams } from "react-router";
import { cursorPaging } from "../../lib/paging";
import { $api, type ListedPost, type Post } from "../../lib/api/client";
import { useSession } from "../../lib/useSession";
import { PostGrid } from "../../components/PostGrid";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

const PAGE = 18;
const paging = cursorPaging;

function flatten<T extends Post | ListedPost>(pages: { items: T[] }[] | undefined): T[] {
  return pages?.flatMap((p) => p.items) ?? [];
}

function HomeFeed() {
  usePageTitle("Home");
  const q = $api.useInfiniteQuery("get", "/v1/feed", { params: { query: { limit: PAGE } } }, paging);
  return (
    <>
      <div className="page-head">
        <h1>Home</h1>
        <p className="muted">New work from the artists you follow.</p>
      </div>
      <ErrorNotice error={q.error} />
      <PostGrid posts={flatten(q.data?.pages)} hasMore={!!q.hasNextPage} loading={q.isFetching}
        loadMore={() => void q.fetchNextPage()}
        empty={<p>Your home feed fills up as you follow artists. <Link to="/discover">Discover art</Link> to find some.</p>} />
    </>
  );
}

function DiscoverGrid() {
  const q = $api.useInfiniteQuery("get", "/v1/discover", {}, paging);
  return (
    <>
      <ErrorNotice error={q.error} />
      <PostGrid posts={flatten(q.data?.pages)} hasMore={!!q.hasNextPage} loading={q.isFetching}
        loadMore={() => void q.fetchNextPage()} empty={<p>No work has been published yet. Be the first.</p>} />
    </>
  );
}

export function HomePage() {
  const { signedIn } = useSession();
  usePageTitle(signedIn ? "Home" : "");
  if (signedIn) return <HomeFeed />;
  return (
    <>
      <section className="hero">
        <h1>Art made by people.</h1>
        <p>Easel is a community for human-made art. Every upload is screened: AI-generated work is
          refused, and every image carries a “do not train” mark.</p>
        <p className="hero__actions"><Link to="/signup" className="button">Create account</Link> <Link to="/login">Sign in</Link></p>
      </section>
      <h2 className="section-title">Fresh on Easel</h2>
      <DiscoverGrid />
    </>
  );
}

export function DiscoverPage() {
  usePageTitle("Discover");
  return (
    <>
      <div className="page-head">
        <h1>Discover</h1>
        <p className="muted">Recent human-made work from everyone on Easel.</p>
        <TagSearch />
      </div>
      <DiscoverGrid />
    </>
  );
}

function TagSearch() {
  const navigate = useNavigate();
  return (
    <form className="tag-search" role="search" onSubmit={(e) => {
      e.preventDefault();
      const tag = String(new FormData(e.currentTarget).get("tag") ?? "").trim().replace(/^#/, "").toLowerCase();
      if (tag) navigate(`/tags/${encodeURIComponent(tag)}`);
    }}>
      <label>Browse a tag<input name="tag" placeholder="e.g. watercolour" /></label>
      <button type="submit" className="secondary">Go</button>
    </form>
  );
}

export function TagPage() {
  const { tag = "" } = useParams();
  usePageTitle(`#${tag}`);
  const q = $api.useInfiniteQuery("get", "/v1/tags/{tag}/posts", { params: { path: { tag }, query: { limit: PAGE } } }, paging);
  return (
    <>
      <div className="page-head"><h1>#{tag}</h1></div>
      <ErrorNotice error={q.error} />
      <PostGrid posts={flatten(q.data?.pages)} hasMore={!!q.hasNextPage} loading={q.isFetching}
        loadMore={() => void q.fetchNextPage()} empty={<p>Nothing is tagged #{tag} yet.</p>} />
    </>
  );
}
