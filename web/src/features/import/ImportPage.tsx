import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, apiError, type ApiError } from "../../lib/api/client";
import { uploadFile } from "../../lib/uploadFile";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";
import type { components } from "../../lib/api/schema";

type Import = components["schemas"]["Import"];
type Entry = components["schemas"]["ImportEntry"];

const FINAL = new Set<Import["state"]>(["done", "failed"]);
const STATE_LABEL: Record<Import["state"], string> = {
  uploading: "Waiting for the upload", reading: "Reading the archive", importing: "Importing",
  done: "Done", failed: "Failed",
};
const STATUS_LABEL: Record<Entry["status"], string> = {
  published: "Published", held_for_review: "Held for review", rejected: "Rejected", skipped: "Skipped",
  failed: "Failed", pending: "Pending", waiting: "Waiting", importing: "Importing",
};
const OUTCOMES = ["published", "held_for_review", "rejected", "skipped", "failed", "pending"] as const;
const SOURCE_LABEL: Record<Import["source"], string> = { instagram: "Instagram export", easel: "Easel archive" };

/** `/import`: bring an Instagram export or an Easel archive in; every import stays listed here. */
export function ImportPage() {
  usePageTitle("Import");
  const queryClient = useQueryClient();
  const [source, setSource] = useState<Import["source"]>("instagram");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const list = $api.useQuery("get", "/v1/imports", { params: { query: { limit: 20 } } }, {
    refetchInterval: (q) => (q.state.data?.items.some((i) => !FINAL.has(i.state)) ? 3000 : false),
  });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setProgress(0);
    const res = await api.POST("/v1/imports", { body: { source, content_length: file.size } });
    if (res.error) {
      setBusy(false);
      setProgress(null);
      return setError(apiError(res.error));
    }
    setSelected(res.data.import.id);
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/imports"] });
    try {
      await uploadFile(res.data.upload, file, setProgress);
    } catch (e) {
      setError({ code: "upload_failed", message: (e as Error).message });
    }
    setBusy(false);
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/imports"] });
  }

  const imports = list.data?.items ?? [];
  const current = selected ?? imports[0]?.id ?? null;
  return (
    <section className="import stack-lg">
      <h1>Import your work</h1>
      <form className="card stack" onSubmit={submit}>
        <fieldset className="stack">
          <legend>Source</legend>
          <label className="check">
            <input type="radio" name="source" value="instagram" checked={source === "instagram"}
              onChange={() => setSource("instagram")} /> Instagram export
          </label>
          <label className="check">
            <input type="radio" name="source" value="easel" checked={source === "easel"}
              onChange={() => setSource("easel")} /> Easel archive
          </label>
        </fieldset>
        <label>Archive
          <input type="file" accept=".zip,application/zip" required
            onChange={(e) => { setFile(e.target.files?.[0] ?? null); setProgress(null); }} />
        </label>
        <p className="hint">The ZIP as Instagram or Easel gave it to you (up to 5 GB). Every work is screened like a new post.</p>
        {file && progress !== null && (
          <progress aria-label={file.name} max={100} value={Math.round(progress * 100)} />
        )}
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy || !file}>{busy ? "Uploading…" : "Import"}</button>
      </form>
      <ErrorNotice error={list.error} />
      {imports.length > 0 && (
        <section className="card stack">
          <h2>Your imports</h2>
          <ul className="import-list">
            {imports.map((i) => (
              <li key={i.id}>
                <button type="button" className="link" aria-pressed={i.id === current} onClick={() => setSelected(i.id)}>
                  {SOURCE_LABEL[i.source]}, {new Date(i.created_at).toLocaleString()}
                </button>
                <span className="muted"> {STATE_LABEL[i.state]}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {current && <ImportDetail key={current} importId={current} />}
    </section>
  );
}

/** One import, polled until its state is final: state, counts per outcome, its works a page at a time. */
function ImportDetail({ importId }: { importId: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const q = $api.useQuery("get", "/v1/imports/{import_id}", {
    params: { path: { import_id: importId }, query: { limit: 20, ...(cursor ? { cursor } : {}) } },
  }, {
    refetchInterval: (query) => (query.state.data && FINAL.has(query.state.data.state) ? false : 1500),
  });
  const d = q.data;
  const queryClient = useQueryClient();
  const settled = d ? FINAL.has(d.state) : false;
  useEffect(() => {  // the list of imports shows the state too: refresh it when this one settles
    if (settled) void queryClient.invalidateQueries({ queryKey: ["get", "/v1/imports"] });
  }, [settled, queryClient]);
  if (!d) return <><ErrorNotice error={q.error} />{q.isLoading && <p role="status">Loading…</p>}</>;
  return (
    <section className="card stack" aria-labelledby="import-detail">
      <h2 id="import-detail">{SOURCE_LABEL[d.source]} import</h2>
      <p role="status">State: <strong>{STATE_LABEL[d.state]}</strong> ({d.total} {d.total === 1 ? "work" : "works"})</p>
      {d.error && <p className="notice notice--error" role="alert">{d.error.message}</p>}
      <dl className="import-counts">
        {OUTCOMES.map((o) => (
          <div key={o}><dt>{STATUS_LABEL[o]}</dt><dd>{d.counts[o]}</dd></div>
        ))}
      </dl>
      {d.notes.length > 0 && <ul className="hint">{d.notes.map((n) => <li key={n}>{n}</li>)}</ul>}
      {d.items.length > 0 && (
        <table className="import-entries">
          <caption className="visually-hidden">Works in this archive</caption>
          <thead><tr><th scope="col">Path in archive</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Post</th></tr></thead>
          <tbody>
            {d.items.map((e) => (
              <tr key={e.seq}>
                <td className="import-path" data-label="Path">{e.path}</td>
                <td data-label="Status">{STATUS_LABEL[e.status]}</td>
                <td data-label="Reason">{e.reason ?? ""}</td>
                <td data-label="Post">{e.post_id ? <Link to={`/p/${e.post_id}`}>{e.title || "Open the post"}</Link> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        {cursors.length > 1 && (
          <button type="button" className="secondary" onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
        )}
        {d.next_cursor && (
          <button type="button" className="secondary" onClick={() => setCursors((c) => [...c, d.next_cursor])}>Next page</button>
        )}
      </div>
    </section>
  );
}
