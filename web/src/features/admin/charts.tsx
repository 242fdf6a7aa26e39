// Charts are lazy: the module with uPlot is fetched when a chart first renders.
import { lazy, Suspense } from "react";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

export interface ChartProps {
  /** The chart's accessible name (the canvas has no text of its own). */
  label: string;
  /** Unix seconds (instants), or anything with `labels` (then x is the index). */
  x: number[];
  /** One label per x (UTC days, months, ranks): the x axis shows these instead of times. */
  labels?: string[];
  series: ChartSeries[];
  kind: "stacked-bars" | "bars" | "lines";
  /** Horizontal reference lines (budget, forecast). */
  lines?: { label: string; value: number; color: string }[];
  yFormat?: (v: number) => string;
  height?: number;
}

const LazyChart = lazy(() => import("./Chart"));

export function ChartBox(props: ChartProps) {
  if (props.x.length === 0) return <p className="empty">No data yet.</p>;
  return (
    <Suspense fallback={<div className="chart chart--loading" role="img" aria-label={props.label} aria-busy="true" />}>
      <LazyChart {...props} />
    </Suspense>
  );
}

export const PALETTE = ["#b4461f", "#2457c5", "#2f6b3a", "#8a5a00", "#7b3fa0", "#0f7c86", "#a32020", "#5c544a",
  "#d08c2f", "#4d7cff", "#6aa84f", "#999999"];

export function color(i: number): string {
  return PALETTE[i % PALETTE.length] ?? "#5c544a";
}

/** "2026-12-08" -> unix seconds at UTC midnight. */
export function dayToUnix(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}
