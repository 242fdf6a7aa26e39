"""`make bench-load`: N virtual users for T minutes against a platform this script starts
(moto through local/moto_locked.py, the API's pool of environments, the event worker), doing
shared/ACTIVITY_MODEL.md's actions; then a hot-artist scenario; then the invariants.

    .venv/bin/python bench/bench_load.py [--users 100] [--minutes 5] [--hot-fans 1000]

A client of our own (threads + requests), not locust: the mix needs state per user (tokens to
refresh, posts to like, uploads to follow to their final state) and the invariants read the
table afterwards, which is ~250 lines here; locust would add gevent and a second process model
on a 2-core machine for no measurement we need. Prints throughput, p50/p95/p99 per route and
statuses, then checks: 0 5xx, 0 valid sessions answered 401, every upload final, no
duplicate post, every counter equal to the rows it counts (bench/invariants.py).
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.invariants import check, scan_all  # noqa: E402
from local.moto_server import free_port  # noqa: E402
from local.platform import Platform  # noqa: E402
from tests.helpers import PASSWORD, unique_handle  # noqa: E402

# shared/ACTIVITY_MODEL.md per DAU-day: 40 requests, of which 10 pages, 6 large views, 5 likes,
# 0.3 comments, 0.5 follows, 0.2 reposts, 1 message, 0.15 posts; the rest notification polls
# and token refreshes. Weights per action (a request each, an upload two plus its screening).
MIX = {"feed": 5, "discover": 3, "portfolio": 2, "post": 6, "notifications": 8, "like": 5, "comment": 0.3,
       "follow": 0.5, "repost": 0.2, "message": 1, "upload": 0.15, "refresh": 1}
FINAL = {"published", "held_for_review", "rejected"}


def artwork(rng: random.Random) -> bytes:
    """A distinct picture per upload (random shapes: no two share a perceptual hash, so none
    is held as a possible repost of another user's work), as a camera JPEG."""
    import io

    from PIL import Image, ImageDraw

    w, h = rng.choice([(800, 600), (600, 800), (900, 600)])
    im = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randrange(20, w // 2), y0 + rng.randrange(20, h // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    exif = Image.Exif()
    exif[0x010F] = "EaselCam"
    exif.get_ifd(0x8769)[0x9003] = "2026:12:01 10:00:00"
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.status: collections.Counter = collections.Counter()
        self.errors: list[str] = []
        self.unauthorized_valid = 0

    def add(self, route: str, status: int, seconds: float, body: str = "") -> None:
        with self.lock:
            self.latency[route].append(seconds)
            self.status[(route, status)] += 1
            if status >= 500 and len(self.errors) < 20:
                self.errors.append(f"{route} {status} {body[:200]}")


class VirtualUser:
    def __init__(self, base: str, stats: Stats, shared: dict, rng: random.Random) -> None:
        self.base, self.stats, self.shared, self.rng = base, stats, shared, rng
        self.s = requests.Session()
        self.handle = unique_handle("load")
        self.tokens: dict[str, str] = {}
        self.posts: list[str] = []

    def call(self, route: str, method: str, path: str, *, auth: bool = True, **kw: Any) -> requests.Response | None:
        headers = kw.pop("headers", {})
        if auth and self.tokens:
            headers["Authorization"] = "Bearer " + self.tokens["access_token"]
        started = time.perf_counter()
        try:
            r = self.s.request(method, self.base + path, headers=headers, timeout=60, **kw)
        except requests.RequestException as exc:
            self.stats.add(route, 599, time.perf_counter() - started, repr(exc))
            return None
        self.stats.add(route, r.status_code, time.perf_counter() - started, r.text if r.status_code >= 500 else "")
        if r.status_code == 401 and auth and self.tokens:
            with self.stats.lock:
                self.stats.unauthorized_valid += 1  # our tokens are fresh: a 401 is a bug
                self.stats.errors.append(f"401 on a valid session: {route} {r.text[:200]}")
        return r

    def signup(self) -> bool:
        r = self.call("POST /v1/auth/signup", "POST", "/v1/auth/signup", auth=False,
                      json={"handle": self.handle, "email": f"{self.handle}@example.com", "password": PASSWORD})
        if r is None or r.status_code != 201:
            return False
        self.tokens = r.json()["tokens"]
        with self.stats.lock:
            self.shared["handles"].append(self.handle)
        return True

    def pick_post(self) -> str | None:
        known = self.shared["posts"]
        return self.rng.choice(known) if known else None

    def act(self, action: str) -> None:
        rng = self.rng
        if action == "feed":
            self.call("GET /v1/feed", "GET", "/v1/feed")
        elif action == "discover":
            r = self.call("GET /v1/discover", "GET", "/v1/discover")
            if r is not None and r.status_code == 200:
                ids = [p["id"] for p in r.json().get("items", [])]
                with self.stats.lock:
                    self.shared["posts"].extend(i for i in ids if i not in self.shared["post_set"])
                    self.shared["post_set"].update(ids)
        elif action == "portfolio":
            handle = rng.choice(self.shared["handles"] or [self.handle])
            self.call("GET /v1/users/{handle}/posts", "GET", f"/v1/users/{handle}/posts")
        elif action == "post":
            pid = self.pick_post()
            if pid:
                self.call("GET /v1/posts/{id}", "GET", f"/v1/posts/{pid}")
        elif action == "notifications":
            self.call("GET /v1/notifications", "GET", "/v1/notifications")
        elif action == "like":
            pid = self.pick_post()
            if pid:
                self.call("POST /v1/posts/{id}/like", "POST", f"/v1/posts/{pid}/like")
        elif action == "comment":
            pid = self.pick_post()
            if pid:
                self.call("POST /v1/posts/{id}/comments", "POST", f"/v1/posts/{pid}/comments",
                          json={"text": "Lovely brushwork"})
        elif action == "follow":
            handle = rng.choice(self.shared["handles"] or [self.handle])
            if handle != self.handle:
                self.call("POST /v1/users/{handle}/follow", "POST", f"/v1/users/{handle}/follow")
        elif action == "repost":
            pid = self.pick_post()
            if pid:
                self.call("POST /v1/posts/{id}/repost", "POST", f"/v1/posts/{pid}/repost")
        elif action == "message":
            handle = rng.choice(self.shared["handles"] or [self.handle])
            if handle != self.handle:
                r = self.call("POST /v1/conversations", "POST", "/v1/conversations", json={"handle": handle})
                if r is not None and r.status_code in (200, 201):
                    cid = r.json().get("conversation", r.json()).get("id")
                    if cid:
                        self.call("POST /v1/conversations/{id}/messages", "POST", f"/v1/conversations/{cid}/messages",
                                  json={"text": "Hello!"})
        elif action == "upload":
            self.upload()
        elif action == "refresh":
            r = self.call("POST /v1/auth/refresh", "POST", "/v1/auth/refresh", auth=False,
                          json={"refresh_token": self.tokens["refresh_token"]})
            if r is not None and r.status_code == 200:
                self.tokens = r.json()["tokens"]
            elif r is not None and r.status_code == 401:
                with self.stats.lock:
                    self.stats.unauthorized_valid += 1
                    self.stats.errors.append(f"refresh refused: {r.text[:200]}")

    def upload(self) -> None:
        photo = artwork(self.rng)
        r = self.call("POST /v1/posts", "POST", "/v1/posts",
                      json={"title": "Study", "content_type": "image/jpeg", "content_length": len(photo)})
        if r is None or r.status_code != 201:
            return
        created = r.json()
        post_id, up = created["post"]["id"], created["upload"]
        with self.stats.lock:
            if post_id in self.shared["created"]:
                self.stats.errors.append(f"duplicate post id {post_id}")
            self.shared["created"][post_id] = self
        started = time.perf_counter()
        try:
            resp = requests.post(up["url"], data=up["fields"], files={"file": ("art.jpg", photo)}, timeout=60)
            self.stats.add("S3 presigned POST", resp.status_code, time.perf_counter() - started)
        except requests.RequestException as exc:
            self.stats.add("S3 presigned POST", 599, time.perf_counter() - started, repr(exc))
        self.posts.append(post_id)


def run_users(base: str, users: int, seconds: float, seed: int, stats: Stats, shared: dict,
              think: float) -> float:
    actions, weights = list(MIX), list(MIX.values())
    deadline = time.monotonic() + seconds

    def one(i: int) -> None:
        rng = random.Random(seed + i)
        vu = VirtualUser(base, stats, shared, rng)
        time.sleep(rng.uniform(0, min(10.0, seconds / 4)))  # a ramp, not a thundering herd
        if not vu.signup():
            return
        vu.upload()  # everyone brings one work, so there is something to like
        while time.monotonic() < deadline:
            vu.act(rng.choices(actions, weights)[0])
            time.sleep(rng.expovariate(1 / think) if think > 0 else 0)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(one, range(users)))
    return time.monotonic() - started


def hot_artist(base: str, fans: int, stats: Stats, shared: dict, concurrency: int) -> dict:
    """`fans` new accounts each follow one artist and like its post, all within the window."""
    artist = VirtualUser(base, stats, shared, random.Random(1))
    artist.signup()
    artist.upload()
    post_id = artist.posts[-1]
    state = settle(base, {post_id: artist}, timeout=600)[post_id]
    print(f"hot artist's post: {state}", flush=True)
    people = [VirtualUser(base, stats, shared, random.Random(100 + i)) for i in range(fans)]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda u: u.signup(), people))
    before = stats.status.copy()
    started = time.monotonic()

    def fan(u: VirtualUser) -> None:
        u.call("HOT follow", "POST", f"/v1/users/{artist.handle}/follow")
        u.call("HOT like", "POST", f"/v1/posts/{post_id}/like")
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(fan, [u for u in people if u.tokens]))
    window = time.monotonic() - started
    after = stats.status - before
    profile = requests.get(f"{base}/v1/users/{artist.handle}", timeout=30).json()
    post = requests.get(f"{base}/v1/posts/{post_id}", timeout=30).json()
    return {"fans": sum(1 for u in people if u.tokens), "seconds": round(window, 1),
            "statuses": {f"{r} {s}": n for (r, s), n in sorted(after.items()) if r.startswith("HOT")},
            "followers_count": profile.get("followers_count", profile.get("user", {}).get("followers_count")),
            "likes_count": post.get("likes_count"), "artist": artist.handle, "post": post_id}


def settle(base: str, posts: dict[str, VirtualUser], timeout: float) -> dict[str, str]:
    """Poll each post, as its author (held posts are visible to them only), until it is final
    (published/held/rejected) or the timeout."""
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    pending = list(posts)
    while pending and time.monotonic() < deadline:
        still = []
        for pid in pending:
            author = posts[pid]
            r = requests.get(f"{base}/v1/posts/{pid}", timeout=30,
                             headers={"Authorization": "Bearer " + author.tokens["access_token"]})
            if r.status_code == 401:  # the access token expired during a long run: refresh it
                fresh = requests.post(f"{base}/v1/auth/refresh", json={"refresh_token": author.tokens["refresh_token"]},
                                      timeout=30)
                if fresh.status_code == 200:
                    author.tokens = fresh.json()["tokens"]
                    r = requests.get(f"{base}/v1/posts/{pid}", timeout=30,
                                     headers={"Authorization": "Bearer " + author.tokens["access_token"]})
            s = r.json().get("status") if r.status_code == 200 else f"http {r.status_code}"
            status[pid] = s or "?"
            if s not in FINAL:
                still.append(pid)
        pending = still
        if pending:
            time.sleep(1.0)
    return status


def endpoint_latency(ddb: Any, table: str, n: int = 50) -> dict[str, float]:
    """Where the time goes: one DynamoDB call straight to the embedded endpoint (idle, after
    the run), to set against the API's per-route latencies."""
    out: dict[str, float] = {}
    for op in ("GetItem", "PutItem", "Query"):
        samples = []
        for i in range(n):
            key = {"pk": {"S": "BENCH#latency"}, "sk": {"S": str(i)}}
            started = time.perf_counter()
            if op == "GetItem":
                ddb.get_item(TableName=table, Key=key)
            elif op == "PutItem":
                ddb.put_item(TableName=table, Item=key)
            else:
                ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "BENCH#latency"}}, Limit=20)
            samples.append(time.perf_counter() - started)
        out[f"{op}_p50"] = round(pct(samples, .5) * 1000, 1)
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--hot-fans", type=int, default=1000)
    parser.add_argument("--hot-concurrency", type=int, default=32)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions (s)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    command = "bench/bench_load.py " + " ".join(sys.argv[1:])
    logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
    platform = Platform(api_port=free_port(), moto_port=free_port(), log_dir=logs).start()
    base = platform.api_url
    stats = Stats()
    shared: dict[str, Any] = {"handles": [], "posts": [], "post_set": set(), "created": {}}
    result: dict[str, Any] = {"command": command, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "users": args.users, "minutes": args.minutes}
    try:
        print(f"platform up at {base}; {args.users} users for {args.minutes} min", flush=True)
        elapsed = run_users(base, args.users, args.minutes * 60, args.seed, stats, shared, args.think)
        print(f"mix done: {sum(stats.status.values())} requests", flush=True)
        total = sum(stats.status.values())
        result["mix"] = {"requests": total, "seconds": round(elapsed, 1), "rps": round(total / elapsed, 1)}
        routes = {}
        for route, values in sorted(stats.latency.items()):
            codes = {s: n for (r, s), n in stats.status.items() if r == route}
            routes[route] = {"n": len(values), "p50_ms": round(pct(values, .5) * 1000), "p95_ms": round(pct(values, .95) * 1000),
                             "p99_ms": round(pct(values, .99) * 1000), "statuses": codes}
        result["routes"] = routes
        print(f"settling {len(shared['created'])} uploads", flush=True)
        settle_started = time.monotonic()
        final = settle(base, dict(shared["created"]), timeout=900)
        result["uploads_settled_s"] = round(time.monotonic() - settle_started, 1)
        if args.hot_fans:
            result["hot_artist"] = hot_artist(base, args.hot_fans, stats, shared, args.hot_concurrency)
            final.update(settle(base, {p: u for p, u in shared["created"].items() if final.get(p) not in FINAL},
                                timeout=300))
        created = sorted(shared["created"])
        result["uploads"] = dict(collections.Counter(final.values()))
        time.sleep(5)  # the queue's background jobs (repost fan-out, notifications) settle
        import boto3

        ddb = boto3.client("dynamodb", endpoint_url=platform.endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        inv = check(scan_all(ddb, platform.env["TABLE_NAME"]), post_ids=set(created))
        result["endpoint_ms"] = endpoint_latency(ddb, platform.env["TABLE_NAME"])
        five = sum(n for (_, s), n in stats.status.items() if s >= 500)
        result["invariants"] = {
            "5xx": five, "401_on_valid_sessions": stats.unauthorized_valid,
            "uploads_not_final": [p for p, s in final.items() if s not in FINAL],
            "counter_mismatches": inv["violations"]["counters"][:20],
            "missing_posts": inv["violations"]["missing_posts"][:20],
            "duplicate_posts": [e for e in stats.errors if e.startswith("duplicate")],
            "totals": inv["totals"]}
        if args.hot_fans:
            hot = result["hot_artist"]
            result["invariants"]["hot_artist_exact"] = hot["followers_count"] == hot["fans"] == hot["likes_count"]
        result["errors_sample"] = stats.errors[:10]
    finally:
        platform.stop()
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    inv = result.get("invariants", {})
    ok = inv and not inv["5xx"] and not inv["401_on_valid_sessions"] and not inv["uploads_not_final"] \
        and not inv["counter_mismatches"] and not inv["missing_posts"] and not inv["duplicate_posts"] \
        and inv.get("hot_artist_exact", True)
    print("INVARIANTS", "HOLD" if ok else "BROKEN")
    return 0 if ok else 1


def print_report(r: dict) -> None:
    print(f"$ {r['command']}\n{r['date']}  {r['users']} users x {r['minutes']} min")
    if "mix" in r:
        m = r["mix"]
        print(f"mix: {m['requests']} requests in {m['seconds']} s = {m['rps']} req/s")
        print(f"{'route':40} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7}  statuses")
        for route, x in r["routes"].items():
            print(f"{route:40} {x['n']:>6} {x['p50_ms']:>6}ms {x['p95_ms']:>6}ms {x['p99_ms']:>6}ms  {x['statuses']}")
    if "hot_artist" in r:
        print("hot artist:", json.dumps(r["hot_artist"]))
    if "uploads" in r:
        print("uploads:", r["uploads"], f"(all final {r.get('uploads_settled_s')} s after the mix ended)")
    if "endpoint_ms" in r:
        print("embedded endpoint alone (ms):", r["endpoint_ms"])
    if "invariants" in r:
        print("invariants:", json.dumps(r["invariants"], default=str))
    for e in r.get("errors_sample", []):
        print("  error:", e)


if __name__ == "__main__":
    sys.exit(main())
