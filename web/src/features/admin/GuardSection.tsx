import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { $api, type Schemas } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { percent, usd, when } from "./format";

type Guard = Schemas["GuardState"];
type Lever = NonNullable<Guard["levers"]>[number];
type Level = "normal" | "saver" | "survival";
type Pending =
  | { kind: "pin"; pin: Level | null }
  | { kind: "budget"; monthly_usd: number; saver: number; survival: number; balance_usd: number };

function LeverList({ lever }: { lever?: Lever }) {
  if (!lever) return null;
  return <ul className="levers">{lever.summary.map((line) => <li key={line}>{line}</li>)}</ul>;
}

export function GuardSection() {
  const queryClient = useQueryClient();
  const guard = $api.useQuery("get", "/v1/admin/guard", {}, { retry: false });
  const budget = $api.useQuery("get", "/v1/admin/budget", {}, { retry: false });
  const pin = $api.useMutation("put", "/v1/admin/guard");
  const putBudget = $api.useMutation("put", "/v1/admin/budget");
  const [pending, setPending] = useState<Pending | null>(null);
  const [form, setForm] = useState<{ monthly: string; saver: string; survival: string; balance: string } | null>(null);
  const g = guard.data;
  const b = budget.data;
  const levers = Object.fromEntries((g?.levers ?? []).map((l) => [l.level, l])) as Record<string, Lever>;
  const values = form ?? (b ? { monthly: String(b.monthly_usd), saver: String(b.thresholds.saver * 100),
    survival: String(b.thresholds.survival * 100), balance: String(b.balance_usd) } : null);

  function refresh() {
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/admin/guard"] });
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/admin/budget"] });
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/admin/costs/daily"] });
  }

  function confirm() {
    if (!pending) return;
    if (pending.kind === "pin") {
      pin.mutate({ body: { pin: pending.pin } }, { onSuccess: () => { setPending(null); refresh(); } });
    } else {
      putBudget.mutate({ body: { monthly_usd: pending.monthly_usd, balance_usd: pending.balance_usd,
        thresholds: { saver: pending.saver, survival: pending.survival } } },
      { onSuccess: () => { setPending(null); setForm(null); refresh(); } });
    }
  }

  function reviewBudget(event: React.FormEvent) {
    event.preventDefault();
    if (!values) return;
    setPending({ kind: "budget", monthly_usd: Number(values.monthly), saver: Number(values.saver) / 100,
      survival: Number(values.survival) / 100, balance_usd: Number(values.balance) });
  }

  return (
    <section className="admin-section" aria-labelledby="guard-title">
      <h2 id="guard-title">Budget guard</h2>
      <ErrorNotice error={guard.error ?? budget.error} />
      {g && (
        <div className="guard-now">
          <p>
            Level: <strong data-testid="guard-level" className={`level level--${g.level}`}>{g.level}</strong>
            {g.pinned ? <> — pinned to <strong>{g.pinned}</strong> by a founder</> : " — chosen automatically"}
            {g.since && <> · since {when(g.since)}</>}
          </p>
          <p className="muted">Why: {g.reason}</p>
          <LeverList lever={levers[g.level]} />
        </div>
      )}
      <div className="guard-actions" role="group" aria-label="Pin a level">
        {(["normal", "saver", "survival"] as const).map((level) => (
          <button type="button" key={level} className="secondary" disabled={!g || g.pinned === level}
            onClick={() => setPending({ kind: "pin", pin: level })}>Pin {level}</button>
        ))}
        <button type="button" className="secondary" disabled={!g?.pinned} onClick={() => setPending({ kind: "pin", pin: null })}>Unpin</button>
      </div>

      {pending && (
        <div className="confirm card" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-what">
          <h3 id="confirm-title">
            {pending.kind === "pin" ? (pending.pin ? `Pin the guard to ${pending.pin}?` : "Unpin the guard?") : "Change the budget?"}
          </h3>
          <div id="confirm-what">
            {pending.kind === "pin" && pending.pin && (
              <>
                <p>Until you unpin, the guard stays at <strong>{pending.pin}</strong> whatever the forecast. At this level:</p>
                <LeverList lever={levers[pending.pin]} />
              </>
            )}
            {pending.kind === "pin" && !pending.pin && (
              <p>The guard goes back to choosing its level from the forecast against the budget at once
                (a step down waits for the cool-down unless the budget changed).</p>
            )}
            {pending.kind === "budget" && b && (
              <>
                <ul>
                  <li>Monthly budget: {usd(b.monthly_usd)} → <strong>{usd(pending.monthly_usd)}</strong></li>
                  <li>Saver from: {percent(b.thresholds.saver)} → <strong>{percent(pending.saver)}</strong> of the budget
                    ({usd(pending.monthly_usd * pending.saver)} forecast)</li>
                  <li>Survival from: {percent(b.thresholds.survival)} → <strong>{percent(pending.survival)}</strong>
                    {" "}({usd(pending.monthly_usd * pending.survival)} forecast)</li>
                  <li>Balance on hand: {usd(b.balance_usd)} → <strong>{usd(pending.balance_usd)}</strong></li>
                </ul>
                <p>The guard compares the month's forecast with these at its next evaluation. Saver:</p>
                <LeverList lever={levers.saver} />
                <p>Survival:</p>
                <LeverList lever={levers.survival} />
              </>
            )}
          </div>
          <ErrorNotice error={pin.error ?? putBudget.error} />
          <div className="row">
            <button type="button" onClick={confirm} disabled={pin.isPending || putBudget.isPending} autoFocus>Confirm</button>
            <button type="button" className="secondary" onClick={() => setPending(null)}>Cancel</button>
          </div>
        </div>
      )}

      {values && (
        <form className="budget-form" onSubmit={reviewBudget} aria-label="Budget and thresholds">
          <label>Monthly budget (USD)
            <input type="number" min="0.01" step="0.01" required value={values.monthly}
              onChange={(e) => setForm({ ...values, monthly: e.target.value })} /></label>
          <label>Saver at (% of budget)
            <input type="number" min="1" max="1000" step="1" required value={values.saver}
              onChange={(e) => setForm({ ...values, saver: e.target.value })} /></label>
          <label>Survival at (% of budget)
            <input type="number" min="1" max="1000" step="1" required value={values.survival}
              onChange={(e) => setForm({ ...values, survival: e.target.value })} /></label>
          <label>Balance on hand (USD)
            <input type="number" min="0" step="0.01" required value={values.balance}
              onChange={(e) => setForm({ ...values, balance: e.target.value })} /></label>
          <button type="submit" className="secondary">Review budget change</button>
        </form>
      )}

      <h3>History</h3>
      {g && (g.history ?? []).length === 0 && <p className="empty">No level changes yet.</p>}
      <ol className="timeline" aria-label="Budget guard history, newest first">
        {(g?.history ?? []).map((e) => (
          <li key={`${e.at}-${e.to}`}>
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.from} → {e.to}</strong>
            <span className="muted"> {e.reason}</span>
          </li>
        ))}
      </ol>
      <details className="table-fallback">
        <summary>What each level does</summary>
        <table>
          <thead><tr><th scope="col">Level</th><th scope="col">Uploads per user (hour, day)</th><th scope="col">New uploads queued</th>
            <th scope="col">CDN lifetime</th><th scope="col">Largest derivative</th><th scope="col">Jobs paused</th></tr></thead>
          <tbody>
            {(g?.levers ?? []).map((l) => (
              <tr key={l.level}><th scope="row">{l.level}</th><td>{l.upload_limits.per_hour}, {l.upload_limits.per_day}</td>
                <td>{l.uploads_queued ? "yes" : "no"}</td><td>×{l.cdn_cache_factor}</td>
                <td>{l.max_derivative_px ? `${l.max_derivative_px} px` : "no cap"}</td><td>{l.jobs_paused ? "yes" : "no"}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
