// The moderators' console (/moderation): the queue (filters, oldest first, its length), one
// item at a time with everything needed to decide, decisions by button or key, and the
// known-AI list. The next item opens by itself after a decision.
import { useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import "../../styles/consoles.css";
import { $api, apiError } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { Forbidden } from "../../components/Forbidden";
import { usePageTitle } from "../../components/usePageTitle";
import { ItemView } from "./ItemView";
import { KnownAiSection } from "./KnownAiSection";

type Kind = "" | "held" | "appeal" | "report";
const KIND_LABEL: Record<string, string> = { held: "Held upload", appeal: "Appeal", report: "Report" };

export function ageText(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export function ModerationPage() {
  usePageTitle("Moderation");
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>("");
  const [reason, setReason] = useState("");
  const [minAge, setMinAge] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [decided, setDecided] = useState<string[]>([]);
  const query = { limit: 50, ...(kind ? { kind } : {}), ...(reason ? { reason } : {}),
    ...(minAge ? { min_age_hours: Number(minAge) } : {}) };
  const queue = $api.useQuery("get", "/v1/moderation/queue", { params: { query } }, { retry: false });
  const items = useMemo(() => (queue.data?.items ?? []).filter((i) => !decided.includes(i.id)), [queue.data, decided]);

  useEffect(() => {
    if (items.length > 0 && (!selected || !items.some((i) => i.id === selected)) && !decided.includes(selected ?? "")) {
      setSelected(items[0]?.id ?? null);
    }
  }, [items, selected, decided]);

  if (queue.error && apiError(queue.error).code === "not_a_moderator") return <Forbidden area="moderation console" role="moderator" />;

  function openNext(afterId: string) {
    const index = items.findIndex((i) => i.id === afterId);
    const rest = items.filter((i) => i.id !== afterId);
    setDecided((d) => [...d, afterId]);
    setSelected(rest[Math.min(Math.max(index, 0), rest.length - 1)]?.id ?? null);
    void queryClient.invalidateQueries({ queryKey: ["get", "/v1/moderation/queue"] });
  }

  function move(step: number) {
    const index = items.findIndex((i) => i.id === selected);
    const next = items[index + step];
    if (next) setSelected(next.id);
  }

  const total = queue.data ? Math.max(0, queue.data.total - decided.filter((id) => queue.data!.items.some((i) => i.id === id)).length) : null;
  return (
    <section className="moderation">
      <div className="page-head">
        <h1>Moderation</h1>
        <p className="muted" id="shortcuts">Keyboard: <kbd>A</kbd> approve, <kbd>R</kbd> reject, <kbd>M</kbd> label mature,
          {" "}<kbd>X</kbd> remove, <kbd>J</kbd>/<kbd>K</kbd> next/previous item (when not typing in a field).</p>
      </div>
      <div className="mod-layout">
        <aside className="mod-queue" aria-labelledby="queue-title">
          <h2 id="queue-title">Queue</h2>
          <form className="filters" aria-label="Queue filters" onSubmit={(e) => e.preventDefault()}>
            <label>Kind
              <select value={kind} onChange={(e) => { setKind(e.target.value as Kind); setSelected(null); }}>
                <option value="">All</option><option value="held">Held uploads</option>
                <option value="report">Reports</option><option value="appeal">Appeals</option>
              </select></label>
            <label>Reason
              <select value={reason} onChange={(e) => { setReason(e.target.value); setSelected(null); }}>
                <option value="">Any</option>
                {["possible_repost", "ai_uncertain", "ai_suspected_protected_art", "mature_profile_image", "rejected",
                  "held_for_review", "mature_label", "ai_generated", "stolen", "unlabelled_mature", "harassment", "other"]
                  .map((r) => <option key={r} value={r}>{r.replaceAll("_", " ")}</option>)}
              </select></label>
            <label>Waiting at least
              <select value={minAge} onChange={(e) => { setMinAge(e.target.value); setSelected(null); }}>
                <option value="">any time</option><option value="1">1 hour</option><option value="24">1 day</option>
                <option value="72">3 days</option>
              </select></label>
          </form>
          <p role="status" data-testid="queue-length">{total == null ? "Loading…" : `${total} open item${total === 1 ? "" : "s"}`}, oldest first</p>
          <ErrorNotice error={queue.error} />
          <ol className="queue-list">
            {items.map((item) => (
              <li key={item.id}>
                <button type="button" className={item.id === selected ? "queue-item current" : "queue-item"}
                  aria-current={item.id === selected ? "true" : undefined} onClick={() => setSelected(item.id)}>
                  <strong>{KIND_LABEL[item.kind] ?? item.kind}</strong> · {item.reason.replaceAll("_", " ")}
                  {item.reports_count > 0 && <> · {item.reports_count} report{item.reports_count === 1 ? "" : "s"}</>}
                  <span className="muted"> · waiting {ageText(item.created_at)}</span>
                </button>
              </li>
            ))}
          </ol>
          {queue.data && items.length === 0 && <p className="empty">Nothing waiting. Well done.</p>}
        </aside>
        <div className="mod-item">
          {selected ? <ItemView key={selected} itemId={selected} onDecided={openNext} onMove={move} />
            : <p className="empty">Pick an item from the queue.</p>}
        </div>
      </div>
      <KnownAiSection />
    </section>
  );
}
