import { Link } from "react-router";
import type { ListedPost, Post } from "../lib/api/client";
import { MatureGate } from "./MatureGate";
import { PostImage } from "./PostImage";
import { useMe } from "../lib/useSession";

/** A post in a list: an article whose heading is its title. */
export function PostCard({ post, eager = false }: { post: Post | ListedPost; eager?: boolean }) {
  const me = useMe();
  const first = post.images[0];
  const mature = "mature" in post ? post.mature : post.labels.includes("mature");
  // Listings (discover, tags) say `blurred` for this viewer; feeds and portfolios carry the
  // label only, so the viewer's own setting decides (their own work is never hidden from them).
  const blurred = "blurred" in post ? post.blurred
    : mature && me.data?.id !== post.author.id && !(me.data?.settings.show_mature ?? false);
  const more = post.images.length - 1;
  return (
    <article className="post-card" aria-labelledby={`t-${post.id}`}>
      <div className="post-card__media">
        {first ? (
          // The gate sits outside the link: its button must stay reachable and named.
          <MatureGate hidden={blurred} ratio="4 / 5">
            <Link to={`/p/${post.id}`} tabIndex={-1} aria-hidden="true">
              <PostImage image={first} alt={first.alt ?? ""} eager={eager}
                sizes="(min-width: 1100px) 340px, (min-width: 700px) 45vw, 100vw" />
            </Link>
          </MatureGate>
        ) : <div className="image-pending">Processing</div>}
        {more > 0 && <span className="badge badge--count">+{more}</span>}
      </div>
      <div className="post-card__meta">
        <h2 id={`t-${post.id}`} className="post-card__title"><Link to={`/p/${post.id}`}>{post.title}</Link></h2>
        <p className="post-card__by">
          by <Link to={`/@${post.author.handle}`}>@{post.author.handle}</Link>
          {post.reposted_by && <> · reposted by <Link to={`/@${post.reposted_by.handle}`}>@{post.reposted_by.handle}</Link></>}
        </p>
        <p className="post-card__stats">
          <span title="Human-made: screened on upload" className="mark">Human-made</span>
          {mature && <span className="mark mark--mature">Mature</span>}
          <span aria-label={`${post.likes_count} likes`}>♥ {post.likes_count}</span>
          <span aria-label={`${post.comments_count} comments`}>💬 {post.comments_count}</span>
        </p>
      </div>
    </article>
  );
}
