import { Link } from "react-router";
import type { ListedPost, Post } from "../lib/api/client";
import { MatureGate } from "./MatureGate";
import { PostImage } from "./PostImage";
import { useMe } from "../lib/useSession";

const HEART = "M12 21s-7.5-4.6-9.6-9.2C.9 8.4 3 4.5 6.8 4.5c2.1 0 3.6 1.2 5.2 3 1.6-1.8 3.1-3 5.2-3 3.8 0 5.9 3.9 4.4 7.3C19.5 16.4 12 21 12 21Z";
const BUBBLE = "M4 5h16v11H9l-5 4V5Z";

function Icon({ d }: { d: string }) {
  return <svg aria-hidden="true" width="15" height="15" viewBox="0 0 24 24"><path d={d} fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" /></svg>;
}

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
          <span className="stat" title="Likes"><Icon d={HEART} /><span className="visually-hidden">Likes:</span> {post.likes_count}</span>
          <span className="stat" title="Comments"><Icon d={BUBBLE} /><span className="visually-hidden">Comments:</span> {post.comments_count}</span>
        </p>
      </div>
    </article>
  );
}
