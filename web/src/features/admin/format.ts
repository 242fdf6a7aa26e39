// Money in USD with the currency shown, times in the viewer's own time zone.
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", currencyDisplay: "code",
  minimumFractionDigits: 2, maximumFractionDigits: 6 });
const usdLarge = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", currencyDisplay: "code",
  minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "USD 0.012345" below a dollar (a small platform's day costs cents), "USD 1,234.56" above. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return (Math.abs(value) < 1 ? usdSmall : usdLarge).format(value).replace(/\u00a0/g, " ");
}

export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant (ISO 8601) in the viewer's zone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A UTC calendar day ("2026-12-08") as a short label; days are UTC days (the meter's). */
export function dayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}
