import { useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { ChartBox, color } from "./charts";
import { usd, when } from "./format";

export function DonationsSection() {
  const queryClient = useQueryClient();
  const ledger = $api.useQuery("get", "/v1/admin/donations", {}, { retry: false });
  const add = $api.useMutation("post", "/v1/admin/donations");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [note, setNote] = useState("");
  const l = ledger.data;
  const oldestFirst = useMemo(() => [...(l?.items ?? [])].sort((a, b) => a.received_at.localeCompare(b.received_at)), [l]);
  const x = useMemo(() => oldestFirst.map((d) => Date.parse(d.received_at) / 1000), [oldestFirst]);
  const series = useMemo(() => {
    let run = 0;
    return [{ label: "donations received (cumulative)", color: color(2), values: oldestFirst.map((d) => (run += d.usd ?? 0)) }];
  }, [oldestFirst]);

  function submit(event: React.FormEvent) {
    event.preventDefault();
    add.mutate({ body: { amount, currency, note: note || null, id: crypto.randomUUID() } }, {
      onSuccess: () => {
        setAmount(""); setNote("");
        void queryClient.invalidateQueries({ queryKey: ["get", "/v1/admin/donations"] });
      },
    });
  }

  return (
    <section className="admin-section" aria-labelledby="donations-title">
      <h2 id="donations-title">Donations and runway</h2>
      <ErrorNotice error={ledger.error} />
      <dl className="figures">
        <div><dt>Donations received</dt><dd>{usd(l?.total_usd)}</dd></div>
        <div><dt>Balance on hand</dt><dd>{usd(l?.balance_usd)}</dd></div>
        <div><dt>Burn per day (this month)</dt><dd>{usd(l?.burn_usd_per_day)}</dd></div>
        <div><dt>Runway</dt><dd data-testid="runway">{l?.runway_days == null ? "—" : `${l.runway_days} days`}</dd></div>
      </dl>
      <ChartBox label="Donations received over time, cumulative, in USD" x={x} series={series} kind="lines"
        yFormat={usd} height={200} />
      <details className="table-fallback">
        <summary>Donations as a table</summary>
        <table>
          <thead><tr><th scope="col">Received</th><th scope="col">Amount</th><th scope="col">USD</th><th scope="col">Source</th><th scope="col">From</th></tr></thead>
          <tbody>
            {(l?.items ?? []).map((d) => (
              <tr key={d.id}><td><time dateTime={d.received_at}>{when(d.received_at)}</time></td><td>{d.amount} {d.currency}</td>
                <td>{usd(d.usd)}</td><td>{d.source}</td><td>{d.from_name ?? "—"}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
      <form className="inline-form" onSubmit={submit} aria-label="Add a donation by hand">
        <label>Amount<input inputMode="decimal" required pattern="[0-9]+([.][0-9]{1,2})?" value={amount}
          onChange={(e) => setAmount(e.target.value)} /></label>
        <label>Currency<input required maxLength={3} minLength={3} value={currency}
          onChange={(e) => setCurrency(e.target.value.toUpperCase())} /></label>
        <label>Note<input maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} /></label>
        <button type="submit" className="secondary" disabled={add.isPending}>Add donation</button>
      </form>
      <ErrorNotice error={add.error} />
    </section>
  );
}

export function PricesSection() {
  const prices = $api.useQuery("get", "/v1/admin/prices", {}, { retry: false });
  const versions = prices.data?.versions ?? [];
  const latest = versions[versions.length - 1];
  return (
    <section className="admin-section" aria-labelledby="prices-title">
      <h2 id="prices-title">Prices</h2>
      <ErrorNotice error={prices.error} />
      {latest && (
        <>
          <p>In force: <strong>{latest.version}</strong> ({latest.region}, from {latest.effective_from}; source: {latest.source}).</p>
          <details className="table-fallback">
            <summary>The price table in force</summary>
            <table>
              <thead><tr><th scope="col">Item</th><th scope="col">USD per unit</th></tr></thead>
              <tbody>
                {Object.entries(latest.prices).map(([k, v]) => <tr key={k}><th scope="row"><code>{k}</code></th><td>{String(v)}</td></tr>)}
              </tbody>
            </table>
          </details>
        </>
      )}
      <table aria-label="Price versions">
        <thead><tr><th scope="col">Version</th><th scope="col">Effective from</th><th scope="col">Region</th><th scope="col">Source</th></tr></thead>
        <tbody>
          {[...versions].reverse().map((v) => (
            <tr key={v.version}><th scope="row">{v.version}</th><td>{v.effective_from}</td><td>{v.region}</td><td>{v.source}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
