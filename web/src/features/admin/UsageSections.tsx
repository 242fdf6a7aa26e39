import { useMemo } from "react";
import { Link } from "react-router";
import { $api, type Schemas } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { ChartBox, color } from "./charts";
import { usd } from "./format";

type Report = Schemas["CostReport"];

function monthToUnix(month: string): number {
  return Date.parse(`${month}-01T00:00:00Z`) / 1000;
}

export function CostPerMauSection() {
  const monthly = $api.useQuery("get", "/v1/admin/costs/monthly", { params: { query: { months: 6 } } }, { retry: false });
  const months = useMemo(() => monthly.data?.months ?? [], [monthly.data]);
  const x = useMemo(() => months.map((m) => monthToUnix(m.month)), [months]);
  const series = useMemo(() => [{ label: "cost per MAU", color: color(0), values: months.map((m) => m.cost_per_mau_usd) }], [months]);
  const monthLabels = useMemo(() => months.map((m) => m.month), [months]);
  const current = months.find((m) => m.current);
  return (
    <section className="admin-section" aria-labelledby="mau-title">
      <h2 id="mau-title">Cost per MAU</h2>
      <ErrorNotice error={monthly.error} />
      <dl className="figures">
        <div><dt>This month</dt><dd data-usd={current?.cost_per_mau_usd ?? ""}>{usd(current?.cost_per_mau_usd)}</dd></div>
        <div><dt>Monthly active users</dt><dd>{current?.mau ?? "—"}</dd></div>
      </dl>
      <ChartBox label="Cost per monthly active user for each of the last six months, in USD" x={x}
        labels={monthLabels} series={series} kind="bars" yFormat={usd} height={200} />
      <details className="table-fallback">
        <summary>Cost per MAU as a table</summary>
        <table>
          <thead><tr><th scope="col">Month</th><th scope="col">Spend</th><th scope="col">MAU</th><th scope="col">Cost per MAU</th></tr></thead>
          <tbody>
            {months.map((m) => (
              <tr key={m.month}><th scope="row">{m.month}{m.current ? " (so far)" : ""}</th><td>{usd(m.total_usd)}</td>
                <td>{m.mau}</td><td>{usd(m.cost_per_mau_usd)}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

export function WhereMoneyGoesSection({ report }: { report?: Report }) {
  const byFeature = $api.useQuery("get", "/v1/admin/costs", { params: { query: { group_by: "feature" } } }, { retry: false });
  const features = useMemo(() => (byFeature.data?.groups ?? []).slice(0, 10), [byFeature.data]);
  const x = useMemo(() => features.map((_, i) => i + 1), [features]);
  const ranks = useMemo(() => features.map((_, i) => `#${i + 1}`), [features]);
  const series = useMemo(() => [{ label: "USD", color: color(2), values: features.map((f) => f.usd) }], [features]);
  return (
    <section className="admin-section" aria-labelledby="where-title">
      <h2 id="where-title">Where the money goes</h2>
      <ErrorNotice error={byFeature.error} />
      <div className="two-col">
        <div>
          <h3>Top features</h3>
          <ChartBox label="The ten features that cost the most this month, in USD (bars in the order of the table)"
            x={x} labels={ranks} series={series} kind="bars" yFormat={usd} height={180} />
          <table aria-label="Top features by cost this month">
            <thead><tr><th scope="col">#</th><th scope="col">Feature</th><th scope="col">USD</th><th scope="col">Invocations</th></tr></thead>
            <tbody>
              {features.map((f, i) => (
                <tr key={f.key}><td>{i + 1}</td><th scope="row"><code>{f.key}</code></th><td data-usd={f.usd}>{usd(f.usd)}</td>
                  <td>{f.units.invocations ?? "—"}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h3>Top users</h3>
          {report && report.top_users.length === 0 && <p className="empty">No user has cost anything yet.</p>}
          <ol className="top-users" aria-label="Top users by cost this month">
            {(report?.top_users ?? []).map((u) => (
              <li key={u.user_id}>
                {u.handle ? <Link to={`/@${u.handle}`}>@{u.handle}</Link> : <span className="muted">erased account</span>}
                {" "}<span data-usd={u.usd}>{usd(u.usd)}</span>
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}
