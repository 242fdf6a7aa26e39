import type { Variant } from "./api/client";

/** srcset from the API's derivative variants (never the original upload). */
export function srcSet(variants: readonly Variant[]): string {
  return [...variants]
    .sort((a, b) => a.width - b.width)
    .map((v) => `${v.url} ${v.width}w`)
    .join(", ");
}

/** The smallest variant at least `width` wide, else the largest. */
export function pickVariant(variants: readonly Variant[], width: number): Variant | undefined {
  const sorted = [...variants].sort((a, b) => a.width - b.width);
  return sorted.find((v) => v.width >= width) ?? sorted[sorted.length - 1];
}
