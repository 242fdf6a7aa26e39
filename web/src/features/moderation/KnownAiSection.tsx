import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";

export function KnownAiSection() {
  const queryClient = useQueryClient();
  const list = $api.useQuery("get", "/v1/moderation/known-ai", { params: { query: { limit: 50 } } }, { retry: false });
  const add = $api.useMutation("post", "/v1/moderation/known-ai");
  const remove = $api.useMutation("delete", "/v1/moderation/known-ai/{entry_id}");
  const [phash, setPhash] = useState("");
  const [note, setNote] = useState("");
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["get", "/v1/moderation/known-ai"] });
  if (list.error) return null; // the page already says why (403 or the error)
  return (
    <section className="admin-section" aria-labelledby="known-ai-title">
      <h2 id="known-ai-title">Known-AI list</h2>
      <p className="muted">Uploads within 7 bits of one of these perceptual hashes are refused as known AI images.</p>
      <form className="inline-form" aria-label="Add to the known-AI list" onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ body: { phash, note: note || null } }, { onSuccess: () => { setPhash(""); setNote(""); refresh(); } });
      }}>
        <label>pHash (16 hex digits)<input required pattern="[0-9a-fA-F]{16}" value={phash} onChange={(e) => setPhash(e.target.value)} /></label>
        <label>Why<input maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} /></label>
        <button type="submit" className="secondary" disabled={add.isPending}>Add hash</button>
      </form>
      <ErrorNotice error={add.error ?? remove.error} />
      <table aria-label="Known-AI entries, newest first">
        <thead><tr><th scope="col">pHash</th><th scope="col">Why</th><th scope="col">Added by</th><th scope="col">When</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {(list.data?.items ?? []).map((e) => (
            <tr key={e.id}>
              <th scope="row"><code>{e.phash}</code></th><td>{e.note ?? "—"}</td><td>{e.added_by.handle ? `@${e.added_by.handle}` : "—"}</td>
              <td>{new Date(e.created_at).toLocaleString()}</td>
              <td><button type="button" className="secondary" aria-label={`Delete ${e.phash}`} disabled={remove.isPending}
                onClick={() => remove.mutate({ params: { path: { entry_id: e.id } } }, { onSuccess: refresh })}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 && <p className="empty">The list is empty.</p>}
    </section>
  );
}
