// The one charting module, loaded on demand (React.lazy in charts.tsx), so uPlot stays out of
// the first page load. uPlot: ~50 KB minified, canvas, fast on thousands of points; stacked
// bars are drawn from running totals (largest first, so each service's slice shows).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartProps } from "./charts";

export default function Chart({ label, x: given, labels, series, kind, lines = [], yFormat, height = 260 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // With `labels` (days, months, ranks) the x axis is the index and each tick is its label.
    const x = labels ? given.map((_, i) => i) : given;
    const bars = kind !== "lines";
    let values = series.map((s) => s.values.map((v) => v ?? 0));
    let order = series.map((_, i) => i);
    if (kind === "stacked-bars") {
      const running = x.map(() => 0);
      values = values.map((vs) => vs.map((v, i) => (running[i] = (running[i] ?? 0) + v)));
      order = order.reverse(); // tallest (the running total) first, each lower slice over it
    }
    const fmt = yFormat ?? ((v: number) => String(v));
    const xLabel = (v: number) => (labels ? labels[Math.round(v)] ?? "" : new Date(v * 1000).toLocaleDateString());
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      scales: { x: labels ? { time: false, range: (_u, lo, hi) => [lo - 0.6, hi + 0.6] } : { time: true } },
      axes: [
        labels ? { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? xLabel(t) : "")), incrs: [1, 2, 5, 7, 10] } : {},
        { values: (_u, ticks) => ticks.map(fmt), size: 96 },
      ],
      legend: { show: true },
      series: [
        { value: (_u: uPlot, v: number | null) => (v == null ? "" : xLabel(v)) },
        ...order.map((i) => ({
          label: series[i]?.label,
          stroke: series[i]?.color,
          fill: bars ? series[i]?.color : undefined,
          width: bars ? 0 : 2,
          points: { show: !bars && x.length < 40 },
          paths: bars ? uPlot.paths.bars!({ size: [0.7, 60] }) : undefined,
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
            idx == null ? "" : fmt(series[i]?.values[idx] ?? 0),
        })),
        ...lines.map((line) => ({ label: line.label, stroke: line.color, width: 2, dash: [6, 4],
          points: { show: false }, value: () => fmt(line.value) })),
      ],
    };
    const data: uPlot.AlignedData = [x, ...order.map((i) => values[i] ?? []), ...lines.map((l) => x.map(() => l.value))];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [given, labels, series, kind, lines, yFormat, height]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
