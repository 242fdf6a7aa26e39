import { useEffect, useRef } from "react";
import type { ListedPost, Post } from "../lib/api/client";
import { PostCard } from "./PostCard";

/** A cursor-paged list of posts with infinite scroll (and a button for keyboards). */
export function PostGrid({ posts, hasMore, loadMore, loading, empty }: {
  posts: (Post | ListedPost)[];
  hasMore: boolean;
  loadMore: () => void;
  loading: boolean;
  empty: React.ReactNode;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !loading) loadMore();
    }, { rootMargin: "800px 0px" });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasMore, loadMore, loading]);

  if (!loading && posts.length === 0) return <div className="empty">{empty}</div>;
  return (
    <>
      <div className="post-grid">
        {posts.map((post, i) => <PostCard key={`${post.id}-${post.reposted_by?.id ?? ""}`} post={post} eager={i < 3} />)}
      </div>
      <div ref={sentinel} className="grid-end">
        {loading ? <p role="status">Loading…</p> : hasMore ? (
          <button type="button" className="secondary" onClick={loadMore}>Load more</button>
        ) : posts.length > 0 ? <p className="muted">You are all caught up.</p> : null}
      </div>
    </>
  );
}
