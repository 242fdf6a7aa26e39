"""API cold start: import time of `app.py` against a bare Chalice app (`make bench-cold-start`).

The bare app is what any Chalice API on this stack imports anyway: chalice, boto3, pynamodb
and Powertools' logger and metrics, and one `Chalice(...)` object. Both are imported in fresh
interpreters (bytecode already compiled, as in a deployment package), alternately, with the
environment Lambda gives a function (`LAMBDA_TASK_ROOT`, `AWS_LAMBDA_FUNCTION_NAME`; tracing
not disabled), so that Powertools behaves as it does on Lambda. Reported: the median of each
and the ratio of the medians, in one run on one machine (absolute figures depend on the
machine; the ratio is the goal: <= 1.3).

    python bench/bench_cold_start.py             # 9 runs each
    python bench/bench_cold_start.py --runs 21 --json
    python bench/bench_cold_start.py --importtime   # app.py's 15 slowest imports (cumulative)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3

BARE_APP = '''
import boto3
import pynamodb.models
from aws_lambda_powertools import Logger, Metrics
from chalice import Chalice

app = Chalice(app_name="bare")
logger = Logger(service="bare")
metrics = Metrics(namespace="Bare", service="bare")


@app.route("/")
def index():
    return {"hello": "world"}
'''

TIMER = ("import time, sys; sys.path.insert(0, {path!r}); t = time.perf_counter(); import {module}; "
         "print(time.perf_counter() - t)")


def lambda_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POWERTOOLS_", "AWS_", "STAGE", "TABLE_NAME"))}
    env.update({"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "easel-bench-api",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
                "POWERTOOLS_SERVICE_NAME": "easel", "LOG_LEVEL": "INFO", "STAGE": "dev",
                "TABLE_NAME": "easel-dev", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def time_import(module: str, path: Path, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", TIMER.format(path=str(path), module=module)],
                         cwd=path, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def importtime(env: dict[str, str], top: int = 15) -> list[tuple[int, int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cum, name = line[len("import time:"):].split("|", 2)
        rows.append((int(cum), int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def run(runs: int) -> dict:
    env = lambda_env()
    with tempfile.TemporaryDirectory() as tmp:
        bare_dir = Path(tmp)
        (bare_dir / "bare_app.py").write_text(BARE_APP)
        # Warm the page cache and compile bytecode once for both (a deployment ships .pyc or
        # compiles once per container image; the first interpreter start is not the measure).
        compile_env = {**env}
        compile_env.pop("PYTHONDONTWRITEBYTECODE")
        for _ in range(2):
            time_import("app", ROOT, compile_env)
            time_import("bare_app", bare_dir, compile_env)
        app_s, bare_s = [], []
        for _ in range(runs):
            app_s.append(time_import("app", ROOT, env))
            bare_s.append(time_import("bare_app", bare_dir, env))
    app_med, bare_med = statistics.median(app_s), statistics.median(bare_s)
    return {"runs": runs, "app_ms": [round(x * 1000, 1) for x in app_s], "bare_ms": [round(x * 1000, 1) for x in bare_s],
            "app_median_ms": round(app_med * 1000, 1), "bare_median_ms": round(bare_med * 1000, 1),
            "ratio": round(app_med / bare_med, 3), "target": TARGET_RATIO,
            "slowest_imports": importtime(env)}


def render(r: dict) -> str:
    ok = "meets" if r["ratio"] <= r["target"] else "misses"
    lines = [f"API cold start, import time ({r['runs']} fresh interpreters each, alternating; Lambda-like environment)",
             f"  bare Chalice app (chalice, boto3, pynamodb, powertools): median {r['bare_median_ms']:.1f} ms  {r['bare_ms']}",
             f"  app.py:                                                  median {r['app_median_ms']:.1f} ms  {r['app_ms']}",
             f"  ratio app/bare: {r['ratio']:.2f}  ({ok} the target <= {r['target']})",
             "", "  app.py's slowest imports (cumulative us, self us, module):"]
    lines += [f"    {cum:>9,} {own:>9,}  {name}" for cum, own, name in r["slowest_imports"]]
    lines.append("\n  reproduce: make bench-cold-start  (BENCH_ARGS='--runs 21')")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.runs)
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
