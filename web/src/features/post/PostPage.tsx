import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { cursorPaging } from "../../lib/paging";
import { $api, api, apiError, type ApiError, type Post } from "../../lib/api/client";
import { useMe, useSession } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { MatureGate } from "../../components/MatureGate";
import { PostImage } from "../../components/PostImage";
import { PostStatus } from "../../components/PostStatus";
import { usePageTitle } from "../../components/usePageTitle";
import { NotFoundContent } from "../../components/NotFoundContent";

type PostKey = readonly ["get", "/v1/posts/{post_id}", { params: { path: { post_id: string } } }];

export function PostPage() {
  const { postId = "" } = useParams();
  const key: PostKey = ["get", "/v1/posts/{post_id}", { params: { path: { post_id: postId } } }];
  const q = $api.useQuery("get", "/v1/posts/{post_id}", key[2], {
    refetchInterval: (query) => (["processing", "queued", "awaiting_upload"].includes(query.state.data?.status ?? "") ? 2000 : false),
  });
  usePageTitle(q.data?.title ?? "Post");
  if (q.isPending) return <p role="status">Loading…</p>;
  if (q.error || !q.data) {
    const err = apiError(q.error);
    return err.code === "not_found" ? <NotFoundContent what="post" /> : <ErrorNotice error={err} />;
  }
  return <PostView post={q.data} queryKey={key} />;
}

function PostView({ post, queryKey }: { post: Post; queryKey: PostKey }) {
  const me = useMe();
  const mine = me.data?.id === post.author.id;
  const mature = post.labels.includes("mature");
  const hide = mature && !mine && !(me.data?.settings.show_mature ?? false);
  return (
    <article className="post-page" aria-labelledby="post-title">
      <div className="post-page__images">
        {post.images.length === 0 && <div className="image-pending">Processing</div>}
        {post.images.map((image, i) => (
          <MatureGate key={i} hidden={hide} ratio={`${image.width || 4} / ${image.height || 3}`}>
            <PostImage image={image} alt={image.alt ?? ""} eager={i === 0} className="post-page__img"
              sizes="(min-width: 1100px) 760px, 100vw" />
          </MatureGate>
        ))}
      </div>
      <div className="post-page__side">
        <h1 id="post-title">{post.title}</h1>
        <p className="byline">by <Link to={`/@${post.author.handle}`}>@{post.author.handle}</Link> · <time dateTime={post.created_at}>{new Date(post.created_at).toLocaleDateString()}</time></p>
        <p className="marks">
          <span className="mark" title="Screened on upload: no sign of AI generation">Human-made</span>
          {mature && <span className="mark mark--mature">Mature</span>}
          {post.protected && <span className="mark">Glaze/Nightshade</span>}
        </p>
        {mine && <PostStatus post={post} />}
        {mine && post.status === "rejected" && <Appeal postId={post.id} />}
        {post.description && <p className="description">{post.description}</p>}
        {post.tags.length > 0 && (
          <ul className="tags">{post.tags.map((t) => <li key={t}><Link to={`/tags/${encodeURIComponent(t)}`}>#{t}</Link></li>)}</ul>
        )}
        <Actions post={post} queryKey={queryKey} mine={mine} />
        {mine && me.data && post.status === "published" && <AddToCollection postId={post.id} handle={me.data.handle} />}
        <Comments postId={post.id} />
      </div>
    </article>
  );
}

function Actions({ post, queryKey, mine }: { post: Post; queryKey: PostKey; mine: boolean }) {
  const { signedIn } = useSession();
  const queryClient = useQueryClient();
  const [error, setError] = useState<ApiError | null>(null);
  const [reposted, setReposted] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [copied, setCopied] = useState(false);

  // Optimistic like: snapshot in onMutate, roll back in onError, reconcile in onSettled.
  const like = $api.useMutation("post", "/v1/posts/{post_id}/like");
  const unlike = $api.useMutation("delete", "/v1/posts/{post_id}/like");
  async function toggleLike() {
    const previous = queryClient.getQueryData<Post>(queryKey);
    const liked = !post.liked_by_me;
    queryClient.setQueryData<Post>(queryKey, { ...post, liked_by_me: liked, likes_count: post.likes_count + (liked ? 1 : -1) });
    setError(null);
    try {
      const res = await (liked ? like : unlike).mutateAsync({ params: { path: { post_id: post.id } } });
      queryClient.setQueryData<Post>(queryKey, (cur) => cur && { ...cur, liked_by_me: res.liked, likes_count: res.likes_count });
    } catch (e) {
      queryClient.setQueryData(queryKey, previous);
      setError(apiError(e));
    }
  }

  async function toggleRepost() {
    setError(null);
    const next = !reposted;
    setReposted(next);
    const path = { params: { path: { post_id: post.id } } };
    const res = next ? await api.POST("/v1/posts/{post_id}/repost", path) : await api.DELETE("/v1/posts/{post_id}/repost", path);
    if (res.error) {
      setReposted(!next);
      setError(apiError(res.error));
    } else if (res.data) setReposted(res.data.reposted);
  }

  async function share() {
    const url = `${location.origin}/p/${post.id}`;
    if (navigator.share) await navigator.share({ title: post.title, url }).catch(() => undefined);
    else {
      await navigator.clipboard?.writeText(url).catch(() => undefined);
      setCopied(true);
    }
  }

  return (
    <div className="actions">
      {signedIn ? (
        <>
          <button type="button" aria-pressed={!!post.liked_by_me} onClick={toggleLike} className="toggle">
            Like <span className="count" aria-hidden="true">{post.likes_count}</span>
          </button>
          {!mine && (
            <button type="button" aria-pressed={reposted} onClick={toggleRepost} className="toggle">
              Repost <span className="count" aria-hidden="true">{post.reposts_count + (reposted ? 1 : 0)}</span>
            </button>
          )}
          {!mine && <button type="button" className="secondary" onClick={() => setReporting((r) => !r)}>Report</button>}
        </>
      ) : (
        <p className="muted"><Link to="/login">Sign in</Link> to like, repost or comment.</p>
      )}
      <button type="button" className="secondary" onClick={share}>{copied ? "Link copied" : "Share"}</button>
      <ErrorNotice error={error} />
      {reporting && <ReportForm postId={post.id} onDone={() => setReporting(false)} />}
    </div>
  );
}

function AddToCollection({ postId, handle }: { postId: string; handle: string }) {
  const queryClient = useQueryClient();
  const q = $api.useQuery("get", "/v1/users/{handle}/collections", { params: { path: { handle } } });
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const collections = q.data?.items ?? [];
  if (collections.length === 0) return null;
  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = String(new FormData(event.currentTarget).get("collection"));
    const res = await api.POST("/v1/collections/{collection_id}/posts", { params: { path: { collection_id: id } }, body: { post_id: postId } });
    if (res.error) return setError(apiError(res.error));
    setError(null);
    setMessage(`Added to ${res.data.title}.`);
    void queryClient.invalidateQueries({ predicate: (query) => String(query.queryKey[1]).includes("collections") });
  }
  return (
    <form onSubmit={add} className="inline-form">
      <label>Add to collection
        <select name="collection">{collections.map((c) => <option key={c.id} value={c.id}>{c.title}</option>)}</select>
      </label>
      <button type="submit" className="secondary">Add</button>
      {message && <p role="status">{message}</p>}
      <ErrorNotice error={error} />
    </form>
  );
}

function ReportForm({ postId, onDone }: { postId: string; onDone: () => void }) {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const details = String(form.get("details") ?? "").trim();
    const res = await api.POST("/v1/posts/{post_id}/report", { params: { path: { post_id: postId } }, body: {
      reason: String(form.get("reason")) as "ai_generated", details: details || null } });
    if (res.error) setError(apiError(res.error));
    else setSent(true);
  }
  if (sent) return <p role="status">Thank you. A moderator will look at this post. <button type="button" className="link" onClick={onDone}>Close</button></p>;
  return (
    <form onSubmit={submit} className="stack report-form">
      <label>Reason
        <select name="reason" defaultValue="ai_generated">
          <option value="ai_generated">It looks AI-generated</option>
          <option value="stolen">It is someone else's work</option>
          <option value="unlabelled_mature">Mature work without the label</option>
          <option value="harassment">Harassment</option>
          <option value="other">Something else</option>
        </select>
      </label>
      <label>Details (optional)<textarea name="details" rows={2} maxLength={2000} /></label>
      <ErrorNotice error={error} />
      <button type="submit">Send report</button>
    </form>
  );
}

function Appeal({ postId }: { postId: string }) {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const statement = String(new FormData(event.currentTarget).get("statement") ?? "");
    const res = await api.POST("/v1/posts/{post_id}/appeal", { params: { path: { post_id: postId } }, body: { statement } });
    if (res.error) setError(apiError(res.error));
    else setSent(true);
  }
  if (sent) return <p role="status">Your appeal was sent. A person will review the decision.</p>;
  return (
    <details className="appeal">
      <summary>Appeal this decision</summary>
      <form onSubmit={submit} className="stack">
        <label>How did you make it?<textarea name="statement" required rows={3} maxLength={5000}
          placeholder="Tell us about your process: sketches, tools, work-in-progress files…" /></label>
        <ErrorNotice error={error} />
        <button type="submit">Appeal</button>
      </form>
    </details>
  );
}

function Comments({ postId }: { postId: string }) {
  const { signedIn } = useSession();
  const queryClient = useQueryClient();
  const init = { params: { path: { post_id: postId }, query: { limit: 20 } } };
  const q = $api.useInfiniteQuery("get", "/v1/posts/{post_id}/comments", init, cursorPaging);
  const add = $api.useMutation("post", "/v1/posts/{post_id}/comments", {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", "/v1/posts/{post_id}/comments"] }),
  });
  const [text, setText] = useState("");

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    await add.mutateAsync({ params: { path: { post_id: postId } }, body: { text: text.trim() } }).then(() => setText(""), () => undefined);
  }

  const comments = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="comments" aria-label="Comments">
      <h2>Comments</h2>
      {comments.length === 0 && !q.isPending && <p className="muted">No comments yet.</p>}
      <ul className="comment-list">
        {comments.map((c) => (
          <li key={c.id}><Link to={`/@${c.author.handle}`}>@{c.author.handle}</Link> <span>{c.text}</span></li>
        ))}
      </ul>
      {q.hasNextPage && <button type="button" className="secondary" onClick={() => void q.fetchNextPage()}>More comments</button>}
      {signedIn && (
        <form onSubmit={submit} className="stack">
          <label>Add a comment<textarea value={text} onChange={(e) => setText(e.target.value)} rows={2} maxLength={2000} /></label>
          <ErrorNotice error={add.error ? apiError(add.error) : null} />
          <button type="submit" disabled={add.isPending}>Post comment</button>
        </form>
      )}
    </section>
  );
}
