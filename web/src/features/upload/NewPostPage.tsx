import { useEffect, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, apiError, type ApiError } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { PostStatus } from "../../components/PostStatus";
import { usePageTitle } from "../../components/usePageTitle";
import { uploadFile } from "../../lib/uploadFile";

const MAX_IMAGES = 10; // POST /v1/posts: images maxItems
const TYPES = ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"] as const;
type ImageType = (typeof TYPES)[number];

interface Picked { file: File; alt: string; preview: string; progress: number }

const SETTLED = new Set(["published", "held_for_review", "rejected", "removed", "deleted"]);

function when(seconds: string | null | undefined): string {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return "later";
  if (s < 90) return `in ${Math.ceil(s)} seconds`;
  if (s < 5400) return `in ${Math.ceil(s / 60)} minutes`;
  return `in about ${Math.round(s / 3600)} hours`;
}

export function NewPostPage() {
  usePageTitle("New post");
  const [picked, setPicked] = useState<Picked[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [postId, setPostId] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => () => picked.forEach((p) => URL.revokeObjectURL(p.preview)), [picked]);

  function add(files: FileList | File[]) {
    const fresh = [...files].filter((f) => (TYPES as readonly string[]).includes(f.type));
    const rejected = [...files].length - fresh.length;
    setPicked((current) => {
      const next = [...current, ...fresh.map((file) => ({ file, alt: "", preview: URL.createObjectURL(file), progress: 0 }))];
      if (next.length > MAX_IMAGES) setError({ code: "too_many", message: `A post holds up to ${MAX_IMAGES} images.` });
      else if (rejected) setError({ code: "type", message: "Only JPEG, PNG, WebP, AVIF and GIF images can be posted." });
      else setError(null);
      return next.slice(0, MAX_IMAGES);
    });
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  }

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (picked.length === 0) {
      setError({ code: "no_images", message: "Add at least one image." });
      return;
    }
    const form = new FormData(event.currentTarget);
    const tags = String(form.get("tags") ?? "").split(/[,\s]+/).map((t) => t.replace(/^#/, "").trim().toLowerCase()).filter(Boolean);
    setSending(true);
    setError(null);
    const description = String(form.get("description") ?? "").trim();
    const result = await api.POST("/v1/posts", { body: {
      title: String(form.get("title")).trim(),
      ...(description ? { description } : {}),
      tags,
      images: picked.map((p) => ({ content_type: p.file.type as ImageType, content_length: p.file.size, alt: p.alt.trim() || undefined })),
      labels: form.get("mature") ? ["mature"] : [],
      protected: Boolean(form.get("protected")),
    } });
    if (!result.data) {
      const err = apiError(result.error);
      if (result.response.status === 429) {
        err.message = `${err.message} You can post again ${when(result.response.headers.get("retry-after"))}.`;
      }
      setError(err);
      setSending(false);
      return;
    }
    const { post, uploads } = result.data;
    try {
      await Promise.all(picked.map((p, i) => uploadFile(uploads[i]!, p.file, (fraction) =>
        setPicked((cur) => cur.map((q, j) => (j === i ? { ...q, progress: fraction } : q))))));
      setPostId(post.id);
    } catch (e) {
      setError({ code: "upload", message: (e as Error).message });
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="composer">
      <h1>New post</h1>
      <form onSubmit={publish} className="stack">
        <div className={`dropzone${dragging ? " dropzone--over" : ""}`}
          onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
          onDragLeave={() => setDragging(false)} onDrop={onDrop}>
          <label className="dropzone__label">
            Images
            <input ref={input} type="file" name="images" multiple accept={TYPES.join(",")} disabled={sending || !!postId}
              onChange={(e) => { if (e.target.files) add(e.target.files); e.target.value = ""; }} />
          </label>
          <p className="hint">Drop up to {MAX_IMAGES} images here or pick them. JPEG, PNG, WebP, AVIF or GIF.</p>
        </div>
        {picked.length > 0 && (
          <ol className="picked">
            {picked.map((p, i) => (
              <li key={p.preview} className="picked__item">
                <img src={p.preview} alt="" width="96" height="96" />
                <div className="picked__body">
                  <p className="picked__name">{p.file.name} <span className="muted">({Math.round(p.file.size / 1024)} KB)</span></p>
                  <label>Alt text<input value={p.alt} maxLength={1000} disabled={sending || !!postId}
                    placeholder="Describe the image for people who cannot see it"
                    onChange={(e) => setPicked((cur) => cur.map((q, j) => (j === i ? { ...q, alt: e.target.value } : q)))} /></label>
                  {(sending || postId) ? (
                    <progress aria-label={p.file.name} max={100} value={Math.round(p.progress * 100)} />
                  ) : (
                    <button type="button" className="link" onClick={() => setPicked((cur) => cur.filter((_, j) => j !== i))}>Remove {p.file.name}</button>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
        <label>Title<input name="title" required maxLength={200} disabled={!!postId} /></label>
        <label>Description<textarea name="description" rows={4} maxLength={5000} disabled={!!postId} /></label>
        <label>Tags<input name="tags" placeholder="ink, portrait, study" disabled={!!postId} /></label>
        <label className="check"><input type="checkbox" name="mature" disabled={!!postId} /> Mature</label>
        <label className="check"><input type="checkbox" name="protected" disabled={!!postId} /> Protected with Glaze or Nightshade</label>
        <p className="hint">Every upload is screened for AI generation. Mark work as Mature if it is not for everyone; it will be hidden behind a button for people who have not opted in.</p>
        <ErrorNotice error={error} />
        {!postId && <button type="submit" disabled={sending}>{sending ? "Uploading…" : "Publish"}</button>}
      </form>
      {postId && <LiveStatus postId={postId} />}
    </section>
  );
}

function LiveStatus({ postId }: { postId: string }) {
  const queryClient = useQueryClient();
  const { data } = $api.useQuery("get", "/v1/posts/{post_id}", { params: { path: { post_id: postId } } }, {
    refetchInterval: (q) => (q.state.data && SETTLED.has(q.state.data.status) ? false : 1500),
  });
  useEffect(() => {
    if (data && SETTLED.has(data.status)) void queryClient.invalidateQueries({ queryKey: ["get", "/v1/users/{handle}/posts"] });
  }, [data, queryClient]);
  return (
    <section className="live-status" aria-live="polite">
      <h2>Status</h2>
      {data ? <PostStatus post={data} /> : <p><strong>Processing</strong></p>}
      <p><Link to={`/p/${postId}`}>Open the post</Link> · <Link to="/new" reloadDocument>Post another</Link></p>
    </section>
  );
}
