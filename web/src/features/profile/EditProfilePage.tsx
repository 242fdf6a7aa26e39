import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api, apiError, type ApiError } from "../../lib/api/client";
import { useMe } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

/** Send a file to a presigned POST (no progress needed for profile images). */
async function postFile(upload: { url: string; fields: Record<string, string> }, file: File) {
  const form = new FormData();
  for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
  form.append("file", file);
  const res = await fetch(upload.url, { method: "POST", body: form });
  if (!res.ok) throw new Error(`The upload was refused (${res.status}).`);
}

export function EditProfilePage() {
  usePageTitle("Edit profile");
  const me = useMe();
  const queryClient = useQueryClient();
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  if (!me.data) return <p role="status">Loading…</p>;
  const profile = me.data;

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const links = String(form.get("links") ?? "").split("\n").map((l) => l.trim()).filter(Boolean).map((url) => ({
      label: url.replace(/^https?:\/\//i, "").replace(/\/$/, "").slice(0, 40), url }));
    const res = await api.PATCH("/v1/me", { body: {
      display_name: String(form.get("display_name") ?? "").trim() || null,
      bio: String(form.get("bio") ?? ""),
      links,
      open_to_work: Boolean(form.get("open_to_work")),
    } });
    if (res.error) return setError(apiError(res.error));
    setError(null);
    setSaved("Profile saved.");
    queryClient.setQueryData(["get", "/v1/me", {}], res.data);
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/users/{handle}"] });
  }

  async function uploadImage(kind: "avatar" | "banner", file: File | undefined) {
    if (!file) return;
    setSaved(null);
    const path = kind === "avatar" ? "/v1/me/avatar" : "/v1/me/banner";
    const res = await api.POST(path, { body: { content_type: file.type as "image/png", content_length: file.size } });
    if (!res.data) return setError(apiError(res.error));
    try {
      await postFile(res.data.upload, file);
      setSaved(`Your new ${kind} is being screened; it shows on your profile once it passes.`);
    } catch (e) {
      setError({ code: "upload", message: (e as Error).message });
    }
  }

  return (
    <section className="composer">
      <h1>Edit profile</h1>
      <form onSubmit={save} className="stack">
        <label>Display name<input name="display_name" defaultValue={profile.display_name} maxLength={50} /></label>
        <label>Bio<textarea name="bio" defaultValue={profile.bio} rows={4} maxLength={1000} /></label>
        <label>Links (one per line)<textarea name="links" rows={3} defaultValue={profile.links.map((l) => l.url).join("\n")} /></label>
        <label className="check"><input type="checkbox" name="open_to_work" defaultChecked={profile.open_to_work} /> Open to work</label>
        <button type="submit">Save profile</button>
      </form>
      <div className="stack">
        <label>Avatar<input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => void uploadImage("avatar", e.target.files?.[0])} /></label>
        <label>Banner<input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => void uploadImage("banner", e.target.files?.[0])} /></label>
      </div>
      <ErrorNotice error={error} />
      {saved && <p role="status">{saved}</p>}
      <p><Link to={`/@${profile.handle}`}>View your profile</Link></p>
    </section>
  );
}
