import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { cursorPaging } from "../../lib/paging";
import { $api, api, apiError, type ApiError, type Schemas } from "../../lib/api/client";
import { pickVariant, srcSet } from "../../lib/images";
import { useMe, useSession } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { PostGrid } from "../../components/PostGrid";
import { NotFoundContent } from "../../components/NotFoundContent";
import { usePageTitle } from "../../components/usePageTitle";

type Profile = Schemas["Profile"];
type Tab = "posts" | "likes" | "collections";

const paging = cursorPaging;

export function ProfilePage({ handle }: { handle: string }) {
  usePageTitle(`@${handle}`);
  const q = $api.useQuery("get", "/v1/users/{handle}", { params: { path: { handle } } });
  const [tab, setTab] = useState<Tab>("posts");
  if (q.isPending) return <p role="status">Loading…</p>;
  if (!q.data) {
    const err = apiError(q.error);
    return err.code === "not_found" ? <NotFoundContent what="artist" /> : <ErrorNotice error={err} />;
  }
  const profile = q.data;
  return (
    <div className="profile">
      <ProfileHeader profile={profile} />
      <div role="tablist" aria-label="Profile sections" className="tabs">
        {(["posts", "likes", "collections"] as const).map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t === "posts" ? `Posts (${profile.posts_count})` : t === "likes" ? "Likes" : "Collections"}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === "posts" && <Portfolio handle={handle} />}
        {tab === "likes" && <Likes handle={handle} />}
        {tab === "collections" && <Collections handle={handle} />}
      </div>
    </div>
  );
}

function ProfileHeader({ profile }: { profile: Profile }) {
  const me = useMe();
  const mine = me.data?.handle === profile.handle;
  const banner = profile.banner?.variants.length ? profile.banner : null;
  const avatar = profile.avatar?.variants.length ? profile.avatar : null;
  const avatarSmall = avatar ? pickVariant(avatar.variants, 192) : undefined;
  return (
    <header className="profile__head">
      <div className="profile__banner">
        {banner && <img src={pickVariant(banner.variants, 1280)?.url} srcSet={srcSet(banner.variants)} sizes="100vw"
          width={banner.width ?? 1500} height={banner.height ?? 500} alt="" />}
      </div>
      <div className="profile__id">
        <div className="avatar avatar--large">
          {avatarSmall ? <img src={avatarSmall.url} srcSet={srcSet(avatar!.variants)} sizes="112px" width={112} height={112} alt="" />
            : <span aria-hidden="true">{profile.handle.slice(0, 1).toUpperCase()}</span>}
        </div>
        <div className="profile__names">
          <h1>{profile.display_name}</h1>
          <p className="muted">@{profile.handle}</p>
        </div>
        <div className="profile__actions">
          {mine ? <Link className="button secondary" to="/settings/profile">Edit profile</Link> : <FollowButton profile={profile} />}
          {!mine && <MessageButton handle={profile.handle} />}
        </div>
      </div>
      {profile.open_to_work && <p className="mark mark--work">Open to work</p>}
      {profile.bio && <p className="profile__bio">{profile.bio}</p>}
      {profile.links.length > 0 && (
        <ul className="profile__links">{profile.links.map((l) => (
          <li key={l.url}><a href={l.url} rel="noopener noreferrer nofollow" target="_blank">{l.label}</a></li>
        ))}</ul>
      )}
      <p className="profile__counts">
        <span><strong>{profile.posts_count}</strong> {profile.posts_count === 1 ? "post" : "posts"}</span>
        <span><strong>{profile.followers_count}</strong> {profile.followers_count === 1 ? "follower" : "followers"}</span>
        <span><strong>{profile.following_count}</strong> following</span>
      </p>
    </header>
  );
}

function FollowButton({ profile }: { profile: Profile }) {
  const { signedIn } = useSession();
  const queryClient = useQueryClient();
  const [following, setFollowing] = useState<boolean>(profile.followed_by_me ?? false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  if (!signedIn) return <Link className="button" to="/login">Follow</Link>;
  async function toggle() {
    setBusy(true);
    setError(null);
    const next = !following;
    setFollowing(next);
    const init = { params: { path: { handle: profile.handle } } };
    const res = next ? await api.POST("/v1/users/{handle}/follow", init) : await api.DELETE("/v1/users/{handle}/follow", init);
    setBusy(false);
    if (res.data) {
      setFollowing(res.data.following);
      queryClient.setQueryData(["get", "/v1/users/{handle}", init], { ...res.data.user, followed_by_me: res.data.following });
      void queryClient.invalidateQueries({ queryKey: ["get", "/v1/feed"] });
    } else {
      setFollowing(!next);
      setError(apiError(res.error));
    }
  }
  return (
    <>
      <button type="button" aria-pressed={following} onClick={toggle} disabled={busy} className="toggle">Follow</button>
      <ErrorNotice error={error} />
    </>
  );
}

function MessageButton({ handle }: { handle: string }) {
  const { signedIn } = useSession();
  if (!signedIn) return null;
  return <Link className="button secondary" to={`/messages?to=${encodeURIComponent(handle)}`}>Message</Link>;
}

function Portfolio({ handle }: { handle: string }) {
  const q = $api.useInfiniteQuery("get", "/v1/users/{handle}/posts", { params: { path: { handle }, query: { limit: 18 } } }, paging);
  return <PostGrid posts={q.data?.pages.flatMap((p) => p.items) ?? []} hasMore={!!q.hasNextPage} loading={q.isFetching}
    loadMore={() => void q.fetchNextPage()} empty={<p>No published work yet.</p>} />;
}

function Likes({ handle }: { handle: string }) {
  const q = $api.useInfiniteQuery("get", "/v1/users/{handle}/likes", { params: { path: { handle }, query: { limit: 18 } } }, paging);
  if (q.error) return <ErrorNotice error={apiError(q.error)} />;
  return <PostGrid posts={q.data?.pages.flatMap((p) => p.items) ?? []} hasMore={!!q.hasNextPage} loading={q.isFetching}
    loadMore={() => void q.fetchNextPage()} empty={<p>No liked work to show.</p>} />;
}

function Collections({ handle }: { handle: string }) {
  const me = useMe();
  const mine = me.data?.handle === handle;
  const queryClient = useQueryClient();
  const q = $api.useQuery("get", "/v1/users/{handle}/collections", { params: { path: { handle } } });
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title") ?? "").trim();
    const res = await api.POST("/v1/collections", { body: { title } });
    if (res.error) setError(apiError(res.error));
    else {
      form.reset();
      void queryClient.invalidateQueries({ queryKey: ["get", "/v1/users/{handle}/collections"] });
    }
  }
  return (
    <section className="collections">
      {mine && (
        <form onSubmit={create} className="inline-form">
          <label>New collection<input name="title" required maxLength={100} /></label>
          <button type="submit">Create collection</button>
        </form>
      )}
      <ErrorNotice error={error} />
      {q.data?.items.length === 0 && <p className="muted">No collections yet.</p>}
      <ul className="collection-list">
        {q.data?.items.map((c) => (
          <li key={c.id}>
            <button type="button" className="link" aria-expanded={open === c.id} onClick={() => setOpen(open === c.id ? null : c.id)}>
              {c.title} <span className="muted">({c.posts_count})</span>
            </button>
            {open === c.id && <CollectionPosts id={c.id} editable={mine} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function CollectionPosts({ id, editable }: { id: string; editable: boolean }) {
  const queryClient = useQueryClient();
  const q = $api.useQuery("get", "/v1/collections/{collection_id}/posts", { params: { path: { collection_id: id }, query: { limit: 50 } } });
  const [dragging, setDragging] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const items = q.data?.items ?? [];

  // Reorder by drag and drop (and by buttons, for keyboards): PUT the whole new order.
  async function move(from: number, to: number) {
    if (from === to || to < 0 || to >= items.length) return;
    const next = [...items];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    const key = ["get", "/v1/collections/{collection_id}/posts", { params: { path: { collection_id: id }, query: { limit: 50 } } }];
    const previous = queryClient.getQueryData(key);
    queryClient.setQueryData(key, { ...q.data!, items: next });
    const res = await api.PUT("/v1/collections/{collection_id}/order", { params: { path: { collection_id: id } }, body: { post_ids: next.map((p) => p.id) } });
    if (res.error) {
      queryClient.setQueryData(key, previous);
      setError(apiError(res.error));
    }
  }
  if (q.isPending) return <p role="status">Loading…</p>;
  if (items.length === 0) return <p className="muted">This collection is empty. Add work from a post's page.</p>;
  return (
    <>
      <ErrorNotice error={error} />
      <ol className="collection-posts">
        {items.map((p, i) => (
          <li key={p.id} draggable={editable} onDragStart={() => setDragging(i)} onDragOver={(e) => e.preventDefault()}
            onDrop={() => { if (dragging !== null) void move(dragging, i); setDragging(null); }}>
            <Link to={`/p/${p.id}`}>{p.title}</Link>
            {editable && (
              <span className="reorder">
                <button type="button" className="link" aria-label={`Move ${p.title} up`} onClick={() => void move(i, i - 1)}>↑</button>
                <button type="button" className="link" aria-label={`Move ${p.title} down`} onClick={() => void move(i, i + 1)}>↓</button>
              </span>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}
