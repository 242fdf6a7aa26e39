import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { $api, apiError } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { ageText } from "./ModerationPage";

type Decision = "approve" | "reject" | "label_mature" | "remove";
const DECISIONS: { value: Decision; label: string; key: string }[] = [
  { value: "approve", label: "Approve", key: "a" },
  { value: "reject", label: "Reject", key: "r" },
  { value: "label_mature", label: "Label mature", key: "m" },
  { value: "remove", label: "Remove", key: "x" },
];

function when(iso: string | null | undefined) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export function ItemView({ itemId, onDecided, onMove }: { itemId: string; onDecided: (id: string) => void; onMove: (step: number) => void }) {
  const item = $api.useQuery("get", "/v1/moderation/items/{item_id}", { params: { path: { item_id: itemId } } }, { retry: false });
  const decide = $api.useMutation("post", "/v1/moderation/items/{item_id}/decision");
  const [note, setNote] = useState("");
  const [confirmRemove, setConfirmRemove] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const d = item.data;
  const open = d?.status === "open";

  useEffect(() => { if (d) heading.current?.focus(); }, [d?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  function act(decision: Decision) {
    if (!open || decide.isPending) return;
    if (decision === "remove" && !confirmRemove) {
      setConfirmRemove(true);
      return;
    }
    decide.mutate({ params: { path: { item_id: itemId } }, body: { decision, note: note || null } }, {
      onSuccess: () => onDecided(itemId),
      onError: (error) => { if (apiError(error).code === "already_decided") onDecided(itemId); },
    });
  }

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const key = event.key.toLowerCase();
      const found = DECISIONS.find((x) => x.key === key);
      if (found) { event.preventDefault(); act(found.value); }
      else if (key === "j") { event.preventDefault(); onMove(1); }
      else if (key === "k") { event.preventDefault(); onMove(-1); }
      else if (key === "escape") setConfirmRemove(false);
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (item.isPending) return <p role="status">Loading the item…</p>;
  if (item.error || !d) return <ErrorNotice error={item.error} />;
  const post = d.post;
  const dups = d.near_duplicates ?? [];
  const author = d.author;
  return (
    <article aria-labelledby="item-title" className="item-view">
      <h2 id="item-title" tabIndex={-1} ref={heading}>
        {d.kind === "held" ? "Held upload" : d.kind === "appeal" ? "Appeal" : "Report"}: {post?.title ?? "(post gone)"}
      </h2>
      <p className="muted">Reason: {d.reason.replaceAll("_", " ")} · opened {when(d.created_at)} (waiting {ageText(d.created_at)})
        {post && <> · <Link to={`/p/${post.id}`}>post page</Link></>} · status: {post?.status.replaceAll("_", " ") ?? "—"}</p>
      {d.appeal && <blockquote className="card"><strong>The artist's appeal:</strong> {d.appeal.statement}</blockquote>}
      {d.report_reasons && Object.keys(d.report_reasons).length > 0 && (
        <p>Reported for: {Object.entries(d.report_reasons).map(([r, n]) => `${r.replaceAll("_", " ")} (${n})`).join(", ")}</p>
      )}

      {dups.length > 0 ? (
        <section aria-labelledby="sbs-title">
          <h3 id="sbs-title">Side by side</h3>
          {dups.map((dup) => (
            <div className="side-by-side" key={`${dup.index}-${dup.kind}`}>
              <figure>
                {d.original_urls[dup.index] && <img src={d.original_urls[dup.index]?.url} alt={`This upload, image ${dup.index + 1}`} />}
                <figcaption>This upload (image {dup.index + 1})</figcaption>
              </figure>
              <figure>
                {dup.original_url ? <img src={dup.original_url} alt={`Matching ${dup.kind === "repost" ? "earlier post" : "known-AI source"}, image ${dup.image_index + 1}`} />
                  : <p className="empty">The matching picture is no longer stored.</p>}
                <figcaption>
                  {dup.kind === "repost" ? "Earlier post" : "Known-AI entry's source"}
                  {dup.author?.handle && <> by <Link to={`/@${dup.author.handle}`}>@{dup.author.handle}</Link></>}
                  {dup.post_id && <> (<Link to={`/p/${dup.post_id}`}>post</Link>, {when(dup.created_at)})</>}
                  {dup.distance != null && <> · {dup.distance} of 64 bits apart{dup.mirrored ? ", mirrored" : ""}</>}
                </figcaption>
              </figure>
            </div>
          ))}
        </section>
      ) : (
        <div className="originals">
          {d.original_urls.map((o) => <img key={o.index} src={o.url} alt={`Original upload, image ${o.index + 1}`} />)}
          {d.original_urls.length === 0 && <p className="empty">No original is stored (removed).</p>}
        </div>
      )}
      <p className="muted small">Original images are shown through links that expire in 5 minutes.</p>

      <section aria-labelledby="signals-title">
        <h3 id="signals-title">Screening signals</h3>
        {(d.signals_plain ?? []).map((img) => (
          <div key={img.index}>
            {(d.signals_plain ?? []).length > 1 && <h4>Image {img.index + 1}</h4>}
            <ul className="signals">{img.sentences.map((s) => <li key={s}>{s}</li>)}</ul>
          </div>
        ))}
      </section>

      <form className="decision card" aria-label="Decision" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="decision-note">Note</label>
        <textarea id="decision-note" rows={3} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)}
          placeholder="Why (the artist sees this note)" disabled={!open} />
        <div className="row" role="group" aria-label="Decide">
          {DECISIONS.map((x) => (
            <button key={x.value} type="button" aria-keyshortcuts={x.key.toUpperCase()} disabled={!open || decide.isPending}
              className={x.value === "remove" ? "danger" : x.value === "approve" ? "" : "secondary"}
              onClick={() => act(x.value)}>{x.label} <kbd aria-hidden="true">{x.key.toUpperCase()}</kbd></button>
          ))}
        </div>
        {confirmRemove && (
          <p role="alert">Removing deletes the post's images for good. Press <kbd>X</kbd> again or{" "}
            <button type="button" className="danger" onClick={() => act("remove")} autoFocus>Confirm removal</button>{" "}
            <button type="button" className="secondary" onClick={() => setConfirmRemove(false)}>Cancel</button></p>
        )}
        {!open && <p className="notice">Already decided: {d.decision?.replaceAll("_", " ")} {d.note ? `— “${d.note}”` : ""}</p>}
        <ErrorNotice error={decide.error} />
      </form>

      {author && (
        <section aria-labelledby="author-title">
          <h3 id="author-title">The author</h3>
          <p>{author.handle ? <Link to={`/@${author.handle}`}>@{author.handle}</Link> : "an erased account"} · joined {when(author.created_at)}
            {" "}· {author.posts_count ?? 0} published · {author.followers_count ?? 0} followers</p>
          {Object.keys(author.recent_status_counts).length > 0 && (
            <p>Latest posts: {Object.entries(author.recent_status_counts).map(([s, n]) => `${n} ${s.replaceAll("_", " ")}`).join(", ")}</p>
          )}
          <ul className="history">
            {author.recent_posts.map((p) => (
              <li key={p.id}><Link to={`/p/${p.id}`}>{p.title || "(untitled)"}</Link> — {p.status.replaceAll("_", " ")}
                {p.reasons.length > 0 && <> ({p.reasons.join(", ").replaceAll("_", " ")})</>} · {when(p.created_at)}</li>
            ))}
          </ul>
          {author.recent_posts.length === 0 && <p className="muted">No other posts.</p>}
        </section>
      )}

      <section aria-labelledby="earlier-title">
        <h3 id="earlier-title">Earlier decisions on this post</h3>
        <ul className="history">
          {(d.history ?? []).filter((h) => h.id !== d.id).map((h) => (
            <li key={h.id}>{h.kind} · {h.reason.replaceAll("_", " ")} · {h.status === "open" ? "open" : h.decision?.replaceAll("_", " ")}
              {h.note && <> — “{h.note}”</>} · {when(h.decided_at ?? h.created_at)}</li>
          ))}
          {(d.audit ?? []).map((a) => (
            <li key={`${a.at}-${a.action}`}>{a.action.replace(":", ": ").replaceAll("_", " ")} by {a.actor_handle ?? "someone"}
              {a.note && <> — “{a.note}”</>} · {when(a.at)}</li>
          ))}
        </ul>
        {(d.history ?? []).filter((h) => h.id !== d.id).length === 0 && (d.audit ?? []).length === 0 && <p className="muted">None.</p>}
      </section>
    </article>
  );
}
