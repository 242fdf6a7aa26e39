// The JS budget, measured on every build: gzip size of the scripts the first page load fetches
// (index.html's entry module and its modulepreloads). Fails the build above the budget.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";

const BUDGET = 200 * 1024;
const dist = path.resolve(import.meta.dirname ?? ".", "..", "dist");
const html = readFileSync(path.join(dist, "index.html"), "utf8");
const scripts = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
const files = scripts.map((src) => {
  const bytes = readFileSync(path.join(dist, src.replace(/^\//, "")));
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  return { file: src, bytes: bytes.length, gzip: gz };
});
writeFileSync(path.join(dist, "budget.json"), JSON.stringify({ budget_gzip: BUDGET, first_load_js_gzip: total, files }, null, 2));
console.log(`first-load JS: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB) in ${files.length} file(s)`);
if (total > BUDGET) {
  console.error("over the JS budget");
  process.exit(1);
}
