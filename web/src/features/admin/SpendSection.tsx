import { useMemo } from "react";
import { $api, type Schemas } from "../../lib/api/client";
import { ErrorNotice } from "../../components/Notice";
import { ChartBox, color, dayToUnix } from "./charts";
import { dayLabel, percent, usd } from "./format";

type Report = Schemas["CostReport"];

export function SpendSection({ report }: { report?: Report }) {
  const daily = $api.useQuery("get", "/v1/admin/costs/daily", {}, { retry: false });
  const d = daily.data;
  const x = useMemo(() => (d?.days ?? []).map((day) => dayToUnix(day.day)), [d]);
  const labels = useMemo(() => (d?.days ?? []).map((day) => dayLabel(day.day)), [d]);
  const stacked = useMemo(() => (d?.services ?? []).map((service, i) => ({
    label: service, color: color(i), values: (d?.days ?? []).map((day) => day.services[service] ?? 0),
  })), [d]);
  const cumulative = useMemo(() => {
    let run = 0;
    return [{ label: "month to date", color: color(1), values: (d?.days ?? []).map((day) => (run += day.total_usd)) }];
  }, [d]);
  const lines = useMemo(() => d ? [
    { label: "budget", value: d.budget_usd, color: "#a32020" },
    { label: "forecast", value: d.forecast_month_usd, color: "#8a5a00" },
  ] : [], [d]);
  const total = report?.total_usd ?? d?.total_usd;
  return (
    <section className="admin-section" aria-labelledby="spend-title">
      <h2 id="spend-title">Spend this month</h2>
      <ErrorNotice error={daily.error} />
      <dl className="figures">
        <div><dt>Month to date</dt><dd data-testid="spend-total" data-usd={total ?? ""}>{usd(total)}</dd></div>
        <div><dt>Forecast for the month</dt><dd data-usd={d?.forecast_month_usd ?? ""}>{usd(d?.forecast_month_usd ?? report?.forecast_month_usd)}</dd></div>
        <div><dt>Budget</dt><dd>{usd(d?.budget_usd)}</dd></div>
        <div><dt>Forecast vs budget</dt><dd>{d && d.budget_usd > 0 ? percent(d.forecast_month_usd / d.budget_usd) : "—"}</dd></div>
      </dl>
      {d && (
        <>
          <ChartBox label={`Spend per day in ${d.month} by service, in USD (stacked bars)`} x={x} labels={labels}
            series={stacked} kind="stacked-bars" yFormat={usd} />
          <ChartBox label={`Spend so far in ${d.month} against the budget and the forecast, in USD`} x={x}
            labels={labels} series={cumulative} kind="lines" lines={lines} yFormat={usd} height={200} />
          <details className="table-fallback">
            <summary>Spend per day as a table</summary>
            <div className="table-scroll">
              <table>
                <caption>Spend per day by service, USD ({d.from} to {d.to}, UTC days)</caption>
                <thead><tr><th scope="col">Day</th>{d.services.map((s) => <th scope="col" key={s}>{s}</th>)}<th scope="col">Total</th></tr></thead>
                <tbody>
                  {d.days.map((day) => (
                    <tr key={day.day}>
                      <th scope="row">{dayLabel(day.day)}</th>
                      {d.services.map((s) => <td key={s}>{usd(day.services[s] ?? 0)}</td>)}
                      <td data-usd={day.total_usd}>{usd(day.total_usd)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr><th scope="row">Total</th>{d.services.map((s) => <td key={s}>{usd(d.service_totals[s] ?? 0)}</td>)}
                    <td data-testid="daily-total" data-usd={d.total_usd}>{usd(d.total_usd)}</td></tr>
                </tfoot>
              </table>
            </div>
          </details>
        </>
      )}
      {report && (
        <table className="compact" aria-label="Spend by service this month">
          <thead><tr><th scope="col">Service</th><th scope="col">USD</th></tr></thead>
          <tbody>
            {report.groups.map((g) => <tr key={g.key}><th scope="row">{g.key}</th><td data-usd={g.usd}>{usd(g.usd)}</td></tr>)}
          </tbody>
        </table>
      )}
    </section>
  );
}
