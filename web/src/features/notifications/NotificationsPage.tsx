import { useEffect } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { cursorPaging } from "../../lib/paging";
import { $api, api, apiError, type Schemas } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

type Notification = Schemas["Notification"];

function describe(n: Notification): React.ReactNode {
  const who = n.actor?.handle ? <Link to={`/@${n.actor.handle}`}>@{n.actor.handle}</Link> : "Someone";
  const post = n.post_id ? <Link to={`/p/${n.post_id}`}>your post</Link> : "your post";
  const data = n.data as { status?: string; decision?: string; action?: string };
  switch (n.kind) {
    case "follow": return <>{who} followed you</>;
    case "like": return <>{who} liked {post}</>;
    case "comment": return <>{who} commented on {post}</>;
    case "repost": return <>{who} reposted {post}</>;
    case "message": return <>{who} sent you a <Link to="/messages">message</Link></>;
    case "screening": return <>Screening finished for {post}: {String(data.status ?? data.decision ?? "decided").replaceAll("_", " ")}</>;
    case "moderation": return <>A moderator reviewed {post}: {String(data.action ?? data.decision ?? "decided").replaceAll("_", " ")}</>;
    default: return <>Something happened</>;
  }
}

export function NotificationsPage() {
  usePageTitle("Notifications");
  const queryClient = useQueryClient();
  const q = $api.useInfiniteQuery("get", "/v1/notifications", { params: { query: { limit: 30 } } }, cursorPaging);
  const unread = q.data?.pages[0]?.unread_count ?? 0;
  useEffect(() => {
    if (unread > 0) {
      void api.POST("/v1/notifications/read", { body: {} }).then(() =>
        queryClient.invalidateQueries({ queryKey: ["get", "/v1/notifications", { params: { query: { limit: 1 } } }] }));
    }
  }, [unread, queryClient]);
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <div className="page-head"><h1>Notifications</h1></div>
      {q.error && <ErrorNotice error={apiError(q.error)} />}
      {!q.isPending && items.length === 0 && <p className="empty">Nothing yet. Likes, comments, follows and screening results show up here.</p>}
      <ul className="notification-list">
        {items.map((n) => (
          <li key={n.id} className={n.read ? "" : "unread"}>
            <span>{describe(n)}</span>
            <time dateTime={n.created_at} className="muted">{new Date(n.created_at).toLocaleString()}</time>
          </li>
        ))}
      </ul>
      {q.hasNextPage && <button type="button" className="secondary" onClick={() => void q.fetchNextPage()}>Older</button>}
    </section>
  );
}
