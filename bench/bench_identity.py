"""Identity benchmark: argon2id cost at Easel's parameters, login latency through the app
(Chalice's test client -> services -> DynamoDB on a local moto server over HTTP), and the
modelled cost per 1,000 logins on Lambda beside Cognito's price for the same monthly users.

    .venv/bin/python -m bench.bench_identity [--logins 40] [--memory 1024] [--mau 10000 --logins-per-mau 8]

Measured numbers are this machine's; Lambda's CPU share grows with memory (one full vCPU at
1,769 MB), so the model scales the CPU-bound argon2 time by 1769/memory and adds the measured
non-argon2 part unchanged (DynamoDB over the network in AWS is ~same order as moto locally)."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Prices (us-east-1, on-demand), as given in issue 3's brief.
LAMBDA_ARM_GB_S = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1e6
DDB_RRU = 0.125 / 1e6
DDB_WRU = 0.625 / 1e6
APIGW_REST = 3.50 / 1e6
COGNITO_LITE_MAU = 0.0046
COGNITO_ESSENTIALS_MAU = 0.015
FULL_VCPU_MB = 1769
# Request units per successful login (docs/identity.md, "cost"): GetItem HANDLE# (0.5 RRU,
# eventually consistent) + BatchGetItem of profile and two counters (3 x 0.5 RRU); PutItem
# SESSION# (1 WRU) + its gsi1 entry (1 WRU).
LOGIN_RRU, LOGIN_WRU = 2.0, 2.0
# A refresh: GetItem SESSION# consistent (1 RRU) + GetItem USER# (0.5) + UpdateItem (1 WRU;
# gsi1 keys unchanged, so no index write).
REFRESH_RRU, REFRESH_WRU = 1.5, 1.0


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--hashes", type=int, default=20)
    parser.add_argument("--memory", type=int, default=1024, help="Lambda memory (MB) for the cost model")
    parser.add_argument("--mau", type=int, default=10_000)
    parser.add_argument("--logins-per-mau", type=float, default=8.0, help="logins per user per month")
    parser.add_argument("--refreshes-per-mau", type=float, default=120.0, help="token refreshes per user per month")
    args = parser.parse_args()

    from local.bootstrap import bootstrap
    from local.moto_server import start_moto

    moto, endpoint = start_moto()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_REGION": "us-east-1", "STAGE": "dev", "POWERTOOLS_TRACE_DISABLED": "1",
                           "LOG_LEVEL": "WARNING", "UPLOAD_QUEUE_NAME": "easel-dev-uploads"})
        os.environ.update(bootstrap(endpoint, "dev"))
        run(args)
    finally:
        moto.terminate()
        moto.wait(timeout=10)


def run(args: argparse.Namespace) -> None:
    import json

    from chalice.test import Client

    import app as easel
    from chalicelib.services.accounts import PASSWORD_HASHER

    password = "correct horse battery staple"
    h = PASSWORD_HASHER
    hash_t = timed(lambda: h.hash(password), args.hashes)
    stored = h.hash(password)
    verify_t = timed(lambda: h.verify(stored, password), args.hashes)
    print(f"argon2id t={h.time_cost} m={h.memory_cost} KiB p={h.parallelism} "
          f"(this machine, {os.cpu_count()} cores)")
    print(f"  hash    median {statistics.median(hash_t) * 1e3:6.1f} ms   p95 {pct(hash_t, .95) * 1e3:6.1f} ms")
    print(f"  verify  median {statistics.median(verify_t) * 1e3:6.1f} ms   p95 {pct(verify_t, .95) * 1e3:6.1f} ms")

    with Client(easel.app) as client:
        handle = f"bench_{os.getpid()}"
        headers = {"Content-Type": "application/json"}
        body = json.dumps({"handle": handle, "email": f"{handle}@example.com", "password": password})
        assert client.http.post("/v1/auth/signup", headers=headers, body=body).status_code == 201
        login_body = json.dumps({"handle": handle, "password": password})

        def login() -> None:
            resp = client.http.post("/v1/auth/login", headers=headers, body=login_body)
            assert resp.status_code == 200, resp.body

        login()  # warm: key ring, password list, connections
        login_t = timed(login, args.logins)
        # Failure paths, kept under the per-account backoff threshold (5): wrong password for a
        # real handle vs a handle nobody has. Both: one lookup, one BatchGet, one argon2, counters.
        wrong = json.dumps({"handle": handle, "password": "wrong password!"})
        unknown = json.dumps({"handle": f"nobody_{os.getpid()}", "password": "wrong password!"})
        wrong_t = timed(lambda: client.http.post("/v1/auth/login", headers=headers, body=wrong), 4)
        unknown_t = timed(lambda: client.http.post("/v1/auth/login", headers=headers, body=unknown), 4)
    median_login = statistics.median(login_t)
    print(f"login through the app ({args.logins} runs, DynamoDB = moto over HTTP on loopback)")
    print(f"  success median {median_login * 1e3:6.1f} ms   p95 {pct(login_t, .95) * 1e3:6.1f} ms")
    print(f"  failure: wrong password median {statistics.median(wrong_t) * 1e3:6.1f} ms, "
          f"unknown handle median {statistics.median(unknown_t) * 1e3:6.1f} ms (4 runs each)")

    # -- cost model -------------------------------------------------------------------------------
    argon = statistics.median(verify_t)
    rest = max(0.0, median_login - argon)
    print(f"\ncost model (arm64 Lambda, API Gateway REST, DynamoDB on-demand); argon2 scaled by "
          f"{FULL_VCPU_MB}/memory, the other {rest * 1e3:.1f} ms kept as measured")
    rows = []
    for memory in sorted({512, 1024, FULL_VCPU_MB, args.memory}):
        duration = argon * max(1.0, FULL_VCPU_MB / memory) + rest
        lam = duration * memory / 1024 * LAMBDA_ARM_GB_S + LAMBDA_PER_REQUEST
        per_login = lam + APIGW_REST + LOGIN_RRU * DDB_RRU + LOGIN_WRU * DDB_WRU
        rows.append((memory, duration, per_login))
        print(f"  {memory:5d} MB: ~{duration * 1e3:6.1f} ms billed per login -> "
              f"${per_login * 1000:.5f} per 1,000 logins (Lambda ${lam * 1000:.5f}, "
              f"API GW ${APIGW_REST * 1000:.5f}, DynamoDB ${(LOGIN_RRU * DDB_RRU + LOGIN_WRU * DDB_WRU) * 1000:.5f})")
    chosen = next(r for r in rows if r[0] == args.memory)
    refresh_cost = (0.010 * args.memory / 1024 * LAMBDA_ARM_GB_S + LAMBDA_PER_REQUEST + APIGW_REST
                    + REFRESH_RRU * DDB_RRU + REFRESH_WRU * DDB_WRU)  # ~10 ms: no argon2
    logins = args.mau * args.logins_per_mau
    refreshes = args.mau * args.refreshes_per_mau
    easel_month = logins * chosen[2] + refreshes * refresh_cost
    print(f"\n{args.mau:,} monthly active users, {args.logins_per_mau:g} logins and {args.refreshes_per_mau:g} "
          f"refreshes each, {args.memory} MB:")
    print(f"  Easel identity        ${easel_month:10.2f} / month  "
          f"(logins ${logins * chosen[2]:.2f} + refreshes ${refreshes * refresh_cost:.2f})")
    lite, essentials = args.mau * COGNITO_LITE_MAU, args.mau * COGNITO_ESSENTIALS_MAU
    print(f"  Cognito Lite          ${lite:10.2f} / month  (${COGNITO_LITE_MAU}/MAU, before any free tier)")
    print(f"  Cognito Essentials    ${essentials:10.2f} / month  (${COGNITO_ESSENTIALS_MAU}/MAU)")
    print("  (API Gateway dominates Easel's figure and is paid for every API call anyway; e-mail (SES) "
          "and Secrets Manager ($0.40/secret/month + $0.05/10k reads) are extra on both sides.)")


if __name__ == "__main__":
    main()
