import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, apiError, type ApiError, type Schemas } from "../../lib/api/client";
import { useMe, useSession } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

type Job = Schemas["Job"];
type JobType = "full_time" | "part_time" | "contract" | "freelance" | "internship" | "temporary";
const TYPES: [JobType, string][] = [["full_time", "Full time"], ["part_time", "Part time"], ["contract", "Contract"],
  ["freelance", "Freelance"], ["internship", "Internship"], ["temporary", "Temporary"]];
const typeName = (t: string) => TYPES.find(([k]) => k === t)?.[1] ?? t;

export function JobsPage() {
  usePageTitle("Jobs");
  const { signedIn } = useSession();
  const [params, setParams] = useSearchParams();
  const tag = params.get("tag") ?? "";
  const type = params.get("type") ?? "";
  const remote = params.get("remote") === "true";
  const query = { limit: 30, ...(tag ? { tag } : {}), ...(type ? { type } : {}), ...(remote ? { remote: "true" } : {}) };
  const q = $api.useQuery("get", "/v1/jobs", { params: { query: query as { limit: number } } });
  const [composing, setComposing] = useState(false);
  const [editing, setEditing] = useState<Job | null>(null);

  function filter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of ["tag", "type"]) { const v = String(form.get(key) ?? "").trim(); if (v) next.set(key, v); }
    if (form.get("remote")) next.set("remote", "true");
    setParams(next);
  }

  return (
    <section className="jobs">
      <div className="page-head">
        <h1>Jobs</h1>
        <p className="muted">Work for artists: commissions, studios, residencies.</p>
        {signedIn && !composing && <button type="button" onClick={() => { setEditing(null); setComposing(true); }}>Post a job</button>}
      </div>
      {composing && <JobForm job={editing} onDone={() => { setComposing(false); setEditing(null); }} />}
      <form onSubmit={filter} className="filters">
        <label>Tag<input name="tag" defaultValue={tag} /></label>
        <label>Type<select name="type" defaultValue={type}><option value="">Any</option>{TYPES.map(([k, v]) => <option key={k} value={k}>{v}</option>)}</select></label>
        <label className="check"><input type="checkbox" name="remote" defaultChecked={remote} /> Remote only</label>
        <button type="submit" className="secondary">Filter</button>
      </form>
      {q.error && <ErrorNotice error={apiError(q.error)} />}
      {q.isPending && <p role="status">Loading…</p>}
      {q.data?.items.length === 0 && <p className="empty">No open jobs match. {signedIn ? "Know of one? Post it." : ""}</p>}
      <ul className="job-list">
        {q.data?.items.map((job) => <JobCard key={job.id} job={job} onEdit={() => { setEditing(job); setComposing(true); }} />)}
      </ul>
    </section>
  );
}

function JobCard({ job, onEdit }: { job: Job; onEdit: () => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const mine = me.data?.id === job.owner.id;
  async function close() {
    await api.DELETE("/v1/jobs/{job_id}", { params: { path: { job_id: job.id } } });
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/jobs"] });
  }
  return (
    <li className="job card">
      <article aria-labelledby={`job-${job.id}`}>
        <h2 id={`job-${job.id}`}>{job.title}</h2>
        <p><strong>{job.organisation}</strong> · {typeName(job.employment_type)} · {job.remote ? "Remote" : job.location ?? "On site"}</p>
        <p className="description">{job.description}</p>
        <p className="muted">Closes {new Date(job.closes_at).toLocaleDateString()} · posted by <Link to={`/@${job.owner.handle}`}>@{job.owner.handle}</Link></p>
        <p>
          {job.apply_url && <a href={job.apply_url} rel="noopener noreferrer nofollow" target="_blank">Apply</a>}
          {job.apply_email && <> <a href={`mailto:${job.apply_email}`}>Apply by e-mail</a></>}
          {mine && <> <button type="button" className="link" onClick={onEdit}>Edit</button> <button type="button" className="link" onClick={close}>Close job</button></>}
        </p>
      </article>
    </li>
  );
}

function JobForm({ job, onDone }: { job: Job | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<ApiError | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    const body = {
      title: s("title"), organisation: s("organisation"), remote: Boolean(f.get("remote")),
      employment_type: s("employment_type") as JobType, description: s("description"),
      tags: s("tags").split(/[,\s]+/).filter(Boolean).slice(0, 10), closes_at: s("closes_at"),
      location: s("location") || null, apply_url: s("apply_url") || null, apply_email: s("apply_email") || null,
    };
    const res = job ? await api.PATCH("/v1/jobs/{job_id}", { params: { path: { job_id: job.id } }, body })
      : await api.POST("/v1/jobs", { body });
    if (res.error) return setError(apiError(res.error));
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/jobs"] });
    onDone();
  }
  const inMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  return (
    <form onSubmit={submit} className="stack card">
      <h2>{job ? "Edit job" : "Post a job"}</h2>
      <label>Job title<input name="title" required maxLength={200} defaultValue={job?.title} /></label>
      <label>Organisation<input name="organisation" required maxLength={200} defaultValue={job?.organisation} /></label>
      <label>Type<select name="employment_type" defaultValue={job?.employment_type ?? "freelance"}>{TYPES.map(([k, v]) => <option key={k} value={k}>{v}</option>)}</select></label>
      <label className="check"><input type="checkbox" name="remote" defaultChecked={job?.remote ?? true} /> Remote</label>
      <label>Location<input name="location" maxLength={200} defaultValue={job?.location ?? ""} /></label>
      <label>Job description<textarea name="description" required rows={5} maxLength={5000} defaultValue={job?.description} /></label>
      <label>Job tags<input name="tags" defaultValue={job?.tags.join(", ")} /></label>
      <label>Closes on<input name="closes_at" type="date" required defaultValue={job?.closes_at.slice(0, 10) ?? inMonth} /></label>
      <label>Apply link<input name="apply_url" type="url" defaultValue={job?.apply_url ?? ""} /></label>
      <label>Apply e-mail<input name="apply_email" type="email" defaultValue={job?.apply_email ?? ""} /></label>
      <p className="hint">Give a link or an e-mail address (or both) for applications.</p>
      <ErrorNotice error={error} />
      <p><button type="submit">{job ? "Save job" : "Post job"}</button> <button type="button" className="secondary" onClick={onDone}>Cancel</button></p>
    </form>
  );
}
