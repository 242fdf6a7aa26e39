"""The cost model benchmark (`make bench-costs`).

Starts its own platform (moto + API + worker on free ports), drives it over HTTP with a
synthetic population, reads what the meter recorded per feature (the same usage rows the
founders' report uses), and projects the monthly bill under the reference activity model
(../shared/ACTIVITY_MODEL.md) at 100k, 1M and 10M MAU, per service; the CDN floor for the
images the model views (measured derivative sizes); and the surge week (x10) with the
budget guard on, measured with the guard actually in `survival`.

    python bench/bench_costs.py            # full run (a few minutes)
    python bench/bench_costs.py --small    # the version the test suite runs
    python bench/bench_costs.py --json     # machine-readable
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from infra.stages import METER_FLUSH_EVERY, METER_FLUSH_MAX_AGE_S  # noqa: E402
from local.devserver import DEFAULT_ENVIRONMENTS, LOCAL_METER_FLUSH  # noqa: E402
from local.moto_server import free_port  # noqa: E402
from local.platform import Platform  # noqa: E402

PASSWORD = "correct horse battery staple"
GB = 1024 ** 3
MAU_POINTS = (100_000, 1_000_000, 10_000_000)
DAU_SHARE = 0.30
DAYS_ACTIVE = 9  # DAU-days per MAU-month (0.30 x 30)

# ACTIVITY_MODEL.md, per DAU per day, mapped onto the features that exist today. Likes,
# comments, reposts and direct messages are not built yet: each is priced as a follow (a
# transactional edge + two counters — the shape they will have).
ACTIONS_PER_DAU_DAY: dict[str, float] = {
    "GET /v1/feed": 5.0,                       # 10 feed/discover/portfolio pages: half feed,
    "GET /v1/users/{handle}/posts": 5.0,       # half portfolio
    "GET /v1/posts/{post_id}": 6.0,            # large views (post detail)
    "POST /v1/users/{handle}/follow": 0.5 + 5 + 0.3 + 0.2 + 1,  # follows + likes/comments/reposts/DMs
    "POST /v1/posts": 0.15,
    "POST /v1/auth/refresh": 4.0,              # 15-minute access tokens, ~1 h of use a day
}
ACTIONS_PER_DAU_DAY["GET /v1/users/{handle}"] = 40 - sum(ACTIONS_PER_DAU_DAY.values())  # the rest of 40
IMAGES_PER_POST = 1.5
ORIGINAL_BYTES = 4 * 1024 * 1024
THUMBS_PER_DAU_DAY, LARGE_PER_DAU_DAY = 120, 6
# Assumptions beyond the model, stated in the output.
COLD_START_EVERY = 1000        # invocations per cold start (one Secrets Manager read each)
CUSTOM_METRICS = 20            # distinct custom metrics published
SQS_REQUESTS_PER_IMAGE = 3     # S3 -> SQS send, receive, delete
# Who uploads, for the vendor risk policy (chalicelib/screening/vendor_policy.py); assumptions,
# not measurements: ACTIVITY_MODEL.md gives no account-age mix for a normal month. Shares of
# uploads by: accounts younger than the policy's new-account window, older artists' first
# posts, accounts with an earlier AI finding, uploads marked protected (Glaze/Nightshade).
UPLOAD_MIX = {"new_account": 0.08, "first_posts": 0.05, "ai_finding": 0.02, "protected": 0.01}
UPLOAD_MIX_SURGE = {**UPLOAD_MIX, "new_account": 0.30}  # the surge: 30% of MAU are new accounts


@dataclass
class Scale:
    name: str
    artists: int
    fans: int
    posts_per_artist: int
    reads_per_fan: int


SMALL = Scale("small", artists=2, fans=4, posts_per_artist=1, reads_per_fan=2)
FULL = Scale("full", artists=12, fans=48, posts_per_artist=2, reads_per_fan=6)


# -- driving the platform ------------------------------------------------------------------
class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.s = requests.Session()
        self.response_bytes: dict[str, list[int]] = {}
        self.users_by_token: dict[str, dict] = {}

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             feature: str | None = None) -> tuple[int, Any]:
        # Access tokens live 15 minutes and a full run takes longer on a busy machine: a known
        # user's expired token is refreshed (POST /v1/auth/refresh) and the call retried.
        user = self.users_by_token.get(token or "")
        if user is not None:
            token = user["access_token"]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.s.request(method, self.base + path, json=body, headers=headers, timeout=60)
        if resp.status_code == 401 and user is not None and b"token_expired" in resp.content:
            self.refresh(user)
            headers = {"Authorization": f"Bearer {user['access_token']}"}
            resp = self.s.request(method, self.base + path, json=body, headers=headers, timeout=60)
        if feature:
            self.response_bytes.setdefault(feature, []).append(len(resp.content))
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, None

    def remember(self, user: dict) -> dict:
        self.users_by_token[user["access_token"]] = user
        return user

    def refresh(self, user: dict) -> None:
        resp = self.s.post(self.base + "/v1/auth/refresh", json={"refresh_token": user["refresh_token"]}, timeout=60)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        user.update(body["tokens"] if "tokens" in body else body)
        self.remember(user)

    def signup(self, handle: str) -> dict:
        status, body = self.call("POST", "/v1/auth/signup",
                                 {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
        assert status == 201, body
        return self.remember({"handle": handle, "id": body["user"]["id"], **body["tokens"]})


# Real images (issue 15): Debian's wallpaper packages, photographs and digital art up to
# 5640x3172 in JPEG, PNG and WebP. Synthetic "painting-like" JPEGs compress unlike real work
# (their 640 px WebP averaged 42.7 KB; real images ~27 KB), and derivative bytes drive the
# CDN bill, so the projection uses what the upload handler made of these.
REAL_IMAGE_PACKAGES = ("gnome-backgrounds", "mate-backgrounds")
REAL_IMAGE_DIRS = (Path("/usr/share/backgrounds/gnome"), Path("/usr/share/backgrounds/mate"))
REAL_IMAGE_MIN_WIDTH = 1280  # skips the packages' 256 px VNC tiles
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def ensure_real_images() -> None:
    """Install the wallpaper packages when missing (the benchmark's setup; needs root + apt)."""
    if all(d.is_dir() for d in REAL_IMAGE_DIRS):
        return
    import shutil
    import subprocess

    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("bench_costs needs the real images of Debian's " + " and ".join(REAL_IMAGE_PACKAGES)
                         + ": run `sudo apt-get install -y " + " ".join(REAL_IMAGE_PACKAGES) + "`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *REAL_IMAGE_PACKAGES]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)


def real_images(count: int, *, smallest: bool = False) -> list[tuple[str, str, bytes]]:
    """`count` distinct real images as (name, content type, bytes): every raster file of the
    packages at least REAL_IMAGE_MIN_WIDTH wide, in a fixed shuffled order (or the smallest
    files first, for the quick run). Raises if the packages hold fewer than `count`."""
    from PIL import Image

    ensure_real_images()
    files = []
    for d in REAL_IMAGE_DIRS:
        for f in sorted(d.rglob("*")):
            if f.suffix.lower() in CONTENT_TYPES and f.is_file() and not f.is_symlink():
                with Image.open(f) as im:
                    if im.width >= REAL_IMAGE_MIN_WIDTH:
                        files.append(f)
    if smallest:
        files.sort(key=lambda f: f.stat().st_size)
    else:
        random.Random(15).shuffle(files)
    if len(files) < count:
        raise SystemExit(f"only {len(files)} real images found in {', '.join(map(str, REAL_IMAGE_DIRS))}; {count} needed")
    return [(f.name, CONTENT_TYPES[f.suffix.lower()], f.read_bytes()) for f in files[:count]]


def upload(api: Api, user: dict, data: bytes, title: str, content_type: str = "image/jpeg") -> tuple[int, str | None]:
    status, created = api.call("POST", "/v1/posts", {"title": title, "content_type": content_type,
                                                     "content_length": len(data)}, token=user["access_token"])
    if status != 201:
        return status, None
    up = created["upload"]
    resp = requests.post(up["url"], data=up["fields"], files={"file": ("art", data, content_type)}, timeout=120)
    assert resp.status_code in (200, 204), resp.text
    return status, created["post"]["id"]


def wait_status(api: Api, user: dict, post_ids: list[str], done: set[str], timeout: float = 180) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        for pid in post_ids:
            _, post = api.call("GET", f"/v1/posts/{pid}", token=user["access_token"])
            states[pid] = post["status"]
        if all(s in done for s in states.values()):
            return states
        time.sleep(0.5)
    raise TimeoutError(f"posts not processed in time: {states}")


def _pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))])


def derivative_sizes(post_ids: list[str]) -> dict[str, Any]:
    """What the handler stored for these posts: per width and format (n, mean, p10, p50, p90
    bytes), and the bytes a client fetches for a thumbnail (<= 640 px) and a large view
    (<= 1280 px), the variant it would pick (the smallest of the formats offered at that width)."""
    from chalicelib.adapters.tables import PostItem
    from chalicelib.metering.meter import _variant_bytes

    from chalicelib.config import get_settings

    targets = sorted(get_settings().derivative_widths)

    def width_class(width: int) -> str:
        # Sources narrower than the largest target get a variant at their own width.
        return f"w{next((t for t in targets if width <= t), targets[-1])}"

    by: dict[str, list[int]] = {}
    stored: list[int] = []
    thumbs: list[int] = []
    larges: list[int] = []
    for pid in post_ids:
        post = PostItem.get(*PostItem.key(pid))
        for image in post.images or []:
            variants = image["variants"]
            stored.append(sum(int(v["bytes"]) for v in variants))
            for v in variants:
                fmt = str(v.get("content_type", "image/webp")).split("/")[-1]
                by.setdefault(f"{width_class(int(v['width']))} {fmt}", []).append(int(v["bytes"]))
            thumbs.append(_variant_bytes(variants, 640))
            larges.append(_variant_bytes(variants, 1280))
    if not thumbs:
        raise RuntimeError("no processed images to measure")
    dist = {k: {"n": len(b), "mean": sum(b) / len(b), "p10": _pct(b, 0.1), "p50": _pct(b, 0.5), "p90": _pct(b, 0.9)}
            for k, b in sorted(by.items(), key=lambda kv: (int(kv[0][1:].split()[0]), kv[0]))}
    return {"thumb_bytes": sum(thumbs) / len(thumbs), "large_bytes": sum(larges) / len(larges),
            "derivatives_bytes_per_image": sum(stored) / len(stored), "images": len(thumbs),
            "by_width": {k: d["mean"] for k, d in dist.items()}, "distribution": dist}


# -- reading the meter -------------------------------------------------------------------------
_API_URL = ""


def settle() -> None:
    """Write the meter's buffered usage: the API process on request (a local-only route), the
    worker by itself when its queue is idle (it polls every second)."""
    if not _API_URL:
        return
    from concurrent.futures import ThreadPoolExecutor

    environments = int(os.environ.get("API_CONCURRENCY", DEFAULT_ENVIRONMENTS))
    flushed: set[str] = set()
    with ThreadPoolExecutor(max_workers=environments) as pool:
        for _round in range(5):  # each flush holds its environment 0.5 s: N at once reach N environments
            answers = list(pool.map(lambda _: requests.post(_API_URL + LOCAL_METER_FLUSH, timeout=30),
                                    range(environments)))
            flushed |= {a.headers.get("X-Local-Environment", "?") for a in answers}
            if len(flushed) >= environments:
                break
    time.sleep(2.5)


def usage_by_feature() -> dict[str, dict[str, float]]:
    from chalicelib.adapters.costs_store import UsageRepository
    from chalicelib.adapters.tables import utcnow

    settle()
    now = utcnow()
    out: dict[str, dict[str, float]] = {}
    for back in range(3):
        hour = (now - timedelta(hours=back)).strftime("%Y%m%d%H")
        for feature, _user, counters in UsageRepository().hour_rows(hour, int(os.environ.get("METER_SHARDS", "4"))):
            target = out.setdefault(feature, {})
            for k, v in counters.items():
                target[k] = target.get(k, 0.0) + v
    return out


def diff(after: dict, before: dict) -> dict[str, dict[str, float]]:
    out = {}
    for feature, counters in after.items():
        prev = before.get(feature, {})
        d = {k: v - prev.get(k, 0.0) for k, v in counters.items() if v - prev.get(k, 0.0)}
        if d.get("n"):
            out[feature] = d
    return out


def per_invocation(totals: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {f: {k: v / c["n"] for k, v in c.items()} for f, c in totals.items() if c.get("n")}


def vendor_share(mix: dict[str, float], n: int = 50_000) -> tuple[float, dict[str, float]]:
    """The share of uploads the deployed policy sends to the vendor, by running `select` over
    n synthetic uploads drawn from `mix` (and the policy's own sampling of post ids)."""
    from chalicelib.screening.settings import get_screening_settings
    from chalicelib.screening.vendor_policy import AuthorFacts, VendorPolicy, select

    s = get_screening_settings()
    policy = VendorPolicy(mode=s.vendor_policy, new_account_days=s.vendor_new_account_days,
                          first_posts=s.vendor_first_posts, sample_rate=s.vendor_sample_rate)
    rnd = random.Random(15)
    why: dict[str, int] = {}
    sent = 0
    for i in range(n):
        r = rnd.random()
        kind = "established"
        for name in ("new_account", "first_posts", "ai_finding", "protected"):
            if r < mix[name]:
                kind = name
                break
            r -= mix[name]
        facts = AuthorFacts(account_age_days=policy.new_account_days / 2 if kind == "new_account" else 365,
                            published_posts=0 if kind == "first_posts" else 50,
                            ai_findings=1 if kind == "ai_finding" else 0)
        chosen, reason = select(policy, facts, f"01BENCH{i:010d}", protected=kind == "protected")
        if chosen:
            sent += 1
            why[reason] = why.get(reason, 0) + 1
    return sent / n, {k: v / n for k, v in why.items()}


# -- projection --------------------------------------------------------------------------------
def price() -> Any:
    from chalicelib.prices import PriceBook

    return PriceBook().latest()


def cdn_cost(gb: float, requests_: float, p: Any) -> tuple[float, str]:
    payg = max(0.0, gb - p["cloudfront_free_gb_month"]) * p["cloudfront_gb"] + \
        max(0.0, requests_ - p["cloudfront_free_requests_month"]) * p["cloudfront_https_request"]
    best, name = payg, "pay-as-you-go"
    for plan in p.flat_plans:
        if requests_ <= plan["requests"] and gb <= plan["gb"] and plan["usd_month"] < best:
            best, name = float(plan["usd_month"]), f"flat-rate {plan['name']}"
    return best, name


def project(per_inv: dict[str, dict[str, float]], media: dict[str, float], resp_bytes: dict[str, float],
            mau: float, *, days: float = 30.0, traffic: float = 1.0, new_accounts: float = 0.0,
            handler: dict[str, float] | None = None, vendor_share: float = 1.0,
            anonymous_cdn_hits: float = 0.0) -> dict[str, Any]:
    """Monthly (or `days`) bill per service for `mau` under the model; `traffic` multiplies
    daily activity (the surge). Features not measured contribute nothing (listed)."""
    from chalicelib.metering.usage import service_costs

    p = price()
    dau_days = mau * DAU_SHARE * days * traffic
    units: dict[str, float] = {}
    invocations = 0.0
    missing = []
    counts = {f: n * dau_days for f, n in ACTIONS_PER_DAU_DAY.items()}
    if new_accounts:
        counts["POST /v1/auth/signup"] = counts.get("POST /v1/auth/signup", 0) + new_accounts
        counts["POST /v1/users/{handle}/follow"] += new_accounts * 10
        counts["GET /v1/users/{handle}"] += new_accounts  # profile edit (not built): priced as a read
    cdn_api_requests = sum(counts.values())
    # Public reads answered by the CDN never reach API Gateway or Lambda (guard lever).
    for f in ("GET /v1/users/{handle}", "GET /v1/users/{handle}/posts", "GET /v1/posts/{post_id}"):
        counts[f] *= (1 - anonymous_cdn_hits)
    images = ACTIONS_PER_DAU_DAY["POST /v1/posts"] * dau_days * IMAGES_PER_POST
    for feature, count in counts.items():
        measured = per_inv.get(feature)
        if not measured:
            missing.append(feature)
            continue
        invocations += count
        for k, v in measured.items():
            if k not in ("mb", "mr", "usd", "n"):
                units[k] = units.get(k, 0.0) + v * count
    handler = handler if handler is not None else per_inv.get("handle_uploads_per_image", {})
    for k, v in handler.items():
        if k not in ("usd", "n"):
            units[k] = units.get(k, 0.0) + v * images
    invocations += images * handler.get("lr", 0)
    costs = service_costs(units, p)
    # S3: originals are counted by the handler (s3b); storage is the month's growth.
    # CloudFront: the images viewed (measured derivative sizes) + API responses through it.
    thumbs = THUMBS_PER_DAU_DAY * dau_days
    large = LARGE_PER_DAU_DAY * dau_days
    media_gb = (thumbs * media["thumb_bytes"] + large * media["large_bytes"]) / GB
    api_gb = sum(resp_bytes.get(f, 0) * c for f, c in counts.items()) / GB
    cdn_requests = thumbs + large + cdn_api_requests
    costs["cloudfront"], cdn_plan = cdn_cost(media_gb + api_gb, cdn_requests, p)
    floor, floor_plan = cdn_cost(media_gb, thumbs + large, p)
    costs["cloudwatch"] += CUSTOM_METRICS * p["cloudwatch_metric_month"] * days / 30
    costs["vendor"] = images * p["vendor_screening_image"] * vendor_share
    costs["sqs"] = images * SQS_REQUESTS_PER_IMAGE * p["sqs_request"]
    costs["secrets_manager"] = invocations / COLD_START_EVERY * p["secrets_manager_api_call"]
    costs["ses"] = new_accounts * p["ses_mail"]
    total = sum(costs.values())
    return {"mau": mau, "days": days, "traffic": traffic, "total_usd": total, "per_mau_usd": total / mau,
            "services": costs, "cdn_plan": cdn_plan, "cdn_floor_usd": floor, "cdn_floor_plan": floor_plan,
            "media_gb": media_gb, "api_requests": sum(counts.values()), "images": images,
            "meter_share": costs["meter"] / total if total else 0.0, "not_measured": missing,
            "cognito_lite_usd": mau * p["cognito_mau_lite"], "cognito_essentials_usd": mau * p["cognito_mau_essentials"]}


# -- the run -----------------------------------------------------------------------------------
def run(scale: Scale, *, log_dir: Path | None = None) -> dict[str, Any]:
    started = time.monotonic()
    token = "bench-donations"
    platform = Platform(api_port=free_port(), moto_port=free_port(), log_dir=log_dir, extra_env={
        "GUARD_INTERVAL_S": "86400", "UPLOAD_LIMITS_NORMAL": "1000,10000", "UPLOAD_LIMITS_SURVIVAL": "1000,10000",
        "GUARD_CACHE_S": "0", "DONATIONS_WEBHOOK_TOKEN": token, "METER_SHARDS": "4",
        # The meter batches as deployed (infra/stages.py); each phase ends with a flush.
        "METER_FLUSH_EVERY": str(METER_FLUSH_EVERY), "METER_FLUSH_MAX_AGE_S": str(METER_FLUSH_MAX_AGE_S)})
    platform.start()
    try:
        os.environ.update({k: platform.env[k] for k in (
            "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
            "STAGE", "TABLE_NAME", "UPLOADS_BUCKET", "MEDIA_BUCKET", "UPLOAD_QUEUE_URL", "SIGNING_KEYS_SECRET")})
        os.environ["METER_SHARDS"] = "4"
        return _drive(platform, scale, started)
    finally:
        platform.stop()


def _drive(platform: Platform, scale: Scale, started: float) -> dict[str, Any]:
    from chalicelib.adapters.tables import UserItem

    global _API_URL
    _API_URL = platform.api_url
    api = Api(platform.api_url)
    rnd = random.Random(7)
    tag = f"{int(time.time()) % 100000}"
    phases: dict[str, dict[str, dict[str, float]]] = {}
    images = real_images(scale.artists * (scale.posts_per_artist + 1), smallest=scale.name == "small")
    image_iter = iter(images)
    snap = usage_by_feature()

    # 1. population: sign-ups, follows (each fan follows up to 10 artists)
    artists = [api.signup(f"art{tag}_{i}") for i in range(scale.artists)]
    fans = [api.signup(f"fan{tag}_{i}") for i in range(scale.fans)]
    for fan in fans:
        for artist in rnd.sample(artists, min(10, len(artists))):
            api.call("POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"],
                     feature="POST /v1/users/{handle}/follow")
    boss = artists[0]
    UserItem(*UserItem.key(boss["id"])).update(actions=[UserItem.roles.add({"founder"})])
    _, login = api.call("POST", "/v1/auth/login", {"handle": boss["handle"], "password": PASSWORD})
    boss_token = api.remember(dict(login["tokens"]))["access_token"]
    api.call("PUT", "/v1/admin/budget", {"monthly_usd": 1_000_000}, token=boss_token)
    now = usage_by_feature()
    phases["population"], snap = diff(now, snap), now

    # 2. uploads at normal: presigned POST, S3 -> SQS -> handler (screen, derive, fan out)
    post_ids: list[tuple[dict, str]] = []
    for i, artist in enumerate(artists):
        for j in range(scale.posts_per_artist):
            name, ctype, data = next(image_iter)
            status, pid = upload(api, artist, data, f"{name} ({i}.{j})", ctype)
            assert status == 201 and pid
            post_ids.append((artist, pid))
    for artist, pid in post_ids:
        wait_status(api, artist, [pid], {"published", "rejected", "held_for_review"})
    now = usage_by_feature()
    phases["uploads"], snap = diff(now, snap), now
    images_published = len(post_ids)

    # 3. reads: feed pages, portfolios, post details, profiles, token refresh
    published = [pid for _, pid in post_ids]
    for fan in fans:
        for _ in range(scale.reads_per_fan):
            api.call("GET", "/v1/feed?limit=20", token=fan["access_token"], feature="GET /v1/feed")
            artist = rnd.choice(artists)
            api.call("GET", f"/v1/users/{artist['handle']}/posts?limit=20", token=fan["access_token"],
                     feature="GET /v1/users/{handle}/posts")
            api.call("GET", f"/v1/posts/{rnd.choice(published)}", token=fan["access_token"],
                     feature="GET /v1/posts/{post_id}")
            api.call("GET", f"/v1/users/{artist['handle']}", feature="GET /v1/users/{handle}")
        status, tokens = api.call("POST", "/v1/auth/refresh", {"refresh_token": fan["refresh_token"]},
                                  feature="POST /v1/auth/refresh")
        if status == 200:
            fan.update(tokens["tokens"] if "tokens" in tokens else tokens)
            api.remember(fan)
    now = usage_by_feature()
    phases["reads"], snap = diff(now, snap), now

    # 4. the surge with the guard on: budget below the forecast -> survival; uploads queue,
    #    reads keep working; then the budget is raised and the deferred uploads are screened.
    api.call("PUT", "/v1/admin/budget", {"monthly_usd": 0.000001}, token=boss_token)
    _, state = api.call("POST", "/v1/admin/guard/evaluate", token=boss_token)
    guard_level = state["level"]
    surge_posts = []
    for i, artist in enumerate(artists):
        name, ctype, data = next(image_iter)
        status, pid = upload(api, artist, data, f"Surge {name}", ctype)
        if pid:
            surge_posts.append((artist, pid))
    for artist, pid in surge_posts:
        wait_status(api, artist, [pid], {"queued"})
    feed_ok = all(api.call("GET", "/v1/feed?limit=20", token=f["access_token"])[0] == 200 for f in fans)
    cache_control = requests.get(f"{platform.api_url}/v1/users/{artists[0]['handle']}", timeout=30).headers.get(
        "Cache-Control")
    now = usage_by_feature()
    phases["surge_survival"], snap = diff(now, snap), now
    api.call("PUT", "/v1/admin/budget", {"monthly_usd": 1_000_000}, token=boss_token)
    _, after = api.call("POST", "/v1/admin/guard/evaluate", token=boss_token)
    for artist, pid in surge_posts:
        wait_status(api, artist, [pid], {"published", "rejected", "held_for_review"})
    now = usage_by_feature()
    phases["surge_resumed"], snap = diff(now, snap), now
    _, report = api.call("GET", "/v1/admin/costs?group_by=service", token=boss_token)

    # measured derivative sizes: every real image the handler processed (normal + surge)
    media = derivative_sizes([pid for _, pid in post_ids + surge_posts])

    totals: dict[str, dict[str, float]] = {}
    for name in ("population", "uploads", "reads"):
        for feature, counters in phases[name].items():
            t = totals.setdefault(feature, {})
            for k, v in counters.items():
                t[k] = t.get(k, 0.0) + v
    per_inv = per_invocation(totals)
    from chalicelib.metering.usage import total_usd
    handler = totals.get("handle_uploads", {})
    per_image = {k: v / images_published for k, v in handler.items()}
    per_inv["handle_uploads_per_image"] = per_image
    surge_handler = phases["surge_survival"].get("handle_uploads", {})
    deferred_per_image = {k: v / max(1, len(surge_posts)) for k, v in surge_handler.items()}
    resp_bytes = {f: sum(b) / len(b) for f, b in api.response_bytes.items()}

    share, share_why = vendor_share(UPLOAD_MIX)
    surge_share, _ = vendor_share(UPLOAD_MIX_SURGE)
    projections = {str(m): project(per_inv, media, resp_bytes, m, vendor_share=share) for m in MAU_POINTS}
    surge = {}
    for m in MAU_POINTS:
        base_week = project(per_inv, media, resp_bytes, m, days=7, vendor_share=share)
        off = project(per_inv, media, resp_bytes, m, days=7, traffic=10, new_accounts=0.3 * 3 * m,
                      vendor_share=surge_share)
        # Guard on (survival for the week): uploads are accepted and queued (the handler only
        # records them: measured), screening runs after the surge at normal cost; vendor
        # checks off; public reads cached 20x longer (assumed: 30% of public reads anonymous,
        # CDN hit ratio 50% -> 90% on them).
        on = project(per_inv, media, resp_bytes, m, days=7, traffic=10, new_accounts=0.3 * 3 * m,
                     handler=deferred_per_image, vendor_share=0.0, anonymous_cdn_hits=0.3 * 0.4)
        # The queued uploads are screened after the surge, at normal cost (shifted, not saved).
        deferred_cost = off["images"] * (total_usd({k: v for k, v in per_image.items() if k not in ("n", "usd")},
                                                   price()) + price()["vendor_screening_image"] * surge_share)
        surge[str(m)] = {"baseline_week_usd": base_week["total_usd"], "guard_off_usd": off["total_usd"],
                         "guard_on_usd": on["total_usd"], "deferred_screening_usd": deferred_cost,
                         "off_services": off["services"], "on_services": on["services"]}
    return {"scale": scale.name, "seconds": round(time.monotonic() - started, 1),
            "population": {"artists": scale.artists, "fans": scale.fans, "images": images_published},
            "per_invocation": per_inv, "media": media, "response_bytes": resp_bytes,
            "projections": projections, "surge": surge, "phases": phases,
            "vendor_policy": {"share": share, "why": share_why, "surge_share": surge_share, "mix": UPLOAD_MIX},
            "guard": {"level_during_surge": guard_level, "level_after": after["level"], "feed_ok": feed_ok,
                      "public_cache_control_in_survival": cache_control,
                      "surge_posts_queued": len(surge_posts), "resumed": after.get("resumed_uploads")},
            "report": report}


# -- output ------------------------------------------------------------------------------------
def render(r: dict[str, Any]) -> str:
    out = [f"Easel cost benchmark ({r['scale']}): {r['population']['artists']} artists, {r['population']['fans']} fans, "
           f"{r['population']['images']} images, {r['seconds']} s",
           "", "Measured per invocation (meter figures; DynamoDB units from item sizes):",
           f"  {'feature':<34}{'ms@mem GB-ms':>13}{'RRU':>8}{'WRU':>7}{'meterWRU':>9}{'S3 PUT':>8}{'log B':>7}"]
    for f, u in sorted(r["per_invocation"].items()):
        out.append(f"  {f:<34}{u.get('gbms', 0):>13.1f}{u.get('rru', 0):>8.2f}{u.get('wru', 0):>7.2f}"
                   f"{u.get('mw', 0):>9.2f}{u.get('s3p', 0):>8.2f}{u.get('lb', 0):>7.0f}")
    m = r["media"]
    out += ["", f"Measured derivative sizes ({m['images']} real images through the upload handler; bytes):",
            f"  {'variant':<16}{'n':>4}{'mean':>10}{'p10':>10}{'p50':>10}{'p90':>10}"]
    out += [f"  {k:<16}{d['n']:>4}{d['mean']:>10,.0f}{d['p10']:>10,.0f}{d['p50']:>10,.0f}{d['p90']:>10,.0f}"
            for k, d in m["distribution"].items()]
    out += [f"  thumbnail shown (<=640) {m['thumb_bytes']:,.0f} B; large view (<=1280) {m['large_bytes']:,.0f} B; "
            f"stored per image {m['derivatives_bytes_per_image']:,.0f} B",
            "", "Projected monthly bill (ACTIVITY_MODEL.md; USD):"]
    services = list(next(iter(r["projections"].values()))["services"])
    out.append(f"  {'service':<18}" + "".join(f"{int(k):>14,}" for k in r["projections"]))
    for s in services:
        out.append(f"  {s:<18}" + "".join(f"{p['services'][s]:>14,.2f}" for p in r["projections"].values()))
    out.append(f"  {'TOTAL':<18}" + "".join(f"{p['total_usd']:>14,.2f}" for p in r["projections"].values()))
    out.append(f"  {'per MAU':<18}" + "".join(f"{p['per_mau_usd']:>14,.5f}" for p in r["projections"].values()))
    out.append(f"  {'CDN plan':<18}" + "".join(f"{p['cdn_plan']:>14}" for p in r["projections"].values()))
    out.append(f"  {'CDN floor':<18}" + "".join(f"{p['cdn_floor_usd']:>14,.2f}" for p in r["projections"].values()))
    out.append(f"  {'meter share':<18}" + "".join(f"{p['meter_share']:>14.2%}" for p in r["projections"].values()))
    out.append(f"  {'Cognito would add':<18}" + "".join(
        f"{p['cognito_lite_usd']:>7,.0f}-{p['cognito_essentials_usd']:<6,.0f}" for p in r["projections"].values()))
    vp = r["vendor_policy"]
    out.append(f"  vendor checks: {vp['share']:.1%} of uploads under the risk policy ("
               + ", ".join(f"{k} {v:.1%}" for k, v in sorted(vp["why"].items(), key=lambda kv: -kv[1]))
               + f"; surge {vp['surge_share']:.1%}); assumed upload mix {vp['mix']}")
    out += ["", "Surge week x10 (MAU triples, 30% new accounts), USD for the week:",
            f"  {'MAU (before)':<22}{'normal week':>14}{'guard off':>14}{'guard on':>14}{'deferred':>12}"]
    for mau, s in r["surge"].items():
        out.append(f"  {int(mau):<22,}{s['baseline_week_usd']:>14,.2f}{s['guard_off_usd']:>14,.2f}"
                   f"{s['guard_on_usd']:>14,.2f}{s['deferred_screening_usd']:>12,.2f}")
    top = r["surge"][str(MAU_POINTS[1])]
    held = {k: top["off_services"][k] - top["on_services"][k] for k in top["off_services"]}
    out.append("  where the guard holds spend at 1M MAU: " + ", ".join(
        f"{k} ${v:,.0f}" for k, v in sorted(held.items(), key=lambda kv: -kv[1]) if v > 0.5))
    g = r["guard"]
    out += [f"  guard during the run: {g['level_during_surge']} -> {g['level_after']}; "
            f"{g['surge_posts_queued']} uploads queued then resumed ({g['resumed']}); feed served: {g['feed_ok']}; "
            f"public Cache-Control in survival: {g['public_cache_control_in_survival']}",
            "", "Assumptions beyond the model: likes/comments/reposts/DMs priced as a follow; 4 token refreshes a "
            f"day; one cold start per {COLD_START_EVERY} invocations; {CUSTOM_METRICS} custom metrics; "
            "storage = one month of growth; local Lambda time includes moto latency (an upper bound)."]
    return "\n".join(out)


BASELINES = ROOT / "bench" / "baselines"


def baseline_of(r: dict[str, Any], label: str) -> dict[str, Any]:
    """What a later run is compared with: the projection per service and the measured inputs."""
    return {"label": label, "scale": r["scale"], "measured": time.strftime("%Y-%m-%d"),
            "projections": {m: {"services": p["services"], "total_usd": p["total_usd"], "per_mau_usd": p["per_mau_usd"]}
                            for m, p in r["projections"].items()},
            "media": {k: r["media"][k] for k in ("thumb_bytes", "large_bytes", "derivatives_bytes_per_image")},
            "per_invocation": {f: {k: round(v, 3) for k, v in u.items()} for f, u in r["per_invocation"].items()
                               if f in ("GET /v1/feed", "GET /v1/users/{handle}/posts", "GET /v1/posts/{post_id}",
                                        "handle_uploads_per_image")}}


def render_comparison(r: dict[str, Any], base: dict[str, Any]) -> str:
    """The baseline's projection beside this run's, per service, at each MAU point."""
    points = list(r["projections"])
    out = ["", f"Before (baseline: {base['label']}, measured {base['measured']}) and after (this run), USD per month:",
           f"  {'service':<18}" + "".join(f"{int(m):>24,}" for m in points),
           f"  {'':<18}" + "".join(f"{'before':>12}{'after':>12}" for _ in points)]
    services = list(dict.fromkeys([*base["projections"][points[0]]["services"], *r["projections"][points[0]]["services"]]))
    for sname in services:
        out.append(f"  {sname:<18}" + "".join(
            f"{base['projections'][m]['services'].get(sname, 0.0):>12,.2f}{r['projections'][m]['services'].get(sname, 0.0):>12,.2f}"
            for m in points))
    out.append(f"  {'TOTAL':<18}" + "".join(
        f"{base['projections'][m]['total_usd']:>12,.2f}{r['projections'][m]['total_usd']:>12,.2f}" for m in points))
    out.append(f"  {'per MAU':<18}" + "".join(
        f"{base['projections'][m]['per_mau_usd']:>12,.5f}{r['projections'][m]['per_mau_usd']:>12,.5f}" for m in points))
    feed_b = base["per_invocation"].get("GET /v1/feed", {})
    feed_a = r["per_invocation"].get("GET /v1/feed", {})
    out.append(f"  feed page RRU {feed_b.get('rru', 0):.2f} -> {feed_a.get('rru', 0):.2f}; meter WRU per API call "
               f"{feed_b.get('mw', 0):.2f} -> {feed_a.get('mw', 0):.2f}; thumbnail "
               f"{base['media']['thumb_bytes']:,.0f} -> {r['media']['thumb_bytes']:,.0f} B; large view "
               f"{base['media']['large_bytes']:,.0f} -> {r['media']['large_bytes']:,.0f} B")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="compare with this baseline (default: bench/baselines/costs_<scale>.json)")
    parser.add_argument("--save-baseline", metavar="LABEL", default=None,
                        help="write this run as bench/baselines/costs_<scale>.json, labelled LABEL")
    args = parser.parse_args()
    scale = SMALL if args.small else FULL
    with tempfile.TemporaryDirectory() as tmp:
        result = run(scale, log_dir=Path(tmp))
    path = BASELINES / f"costs_{scale.name}.json"
    if args.save_baseline:
        BASELINES.mkdir(exist_ok=True)
        path.write_text(json.dumps(baseline_of(result, args.save_baseline), indent=1) + "\n")
    base_path = args.baseline or path
    base = json.loads(base_path.read_text()) if base_path.is_file() and not args.save_baseline else None
    if args.json:
        out = {k: v for k, v in result.items() if k != "phases"}
        out["baseline"] = base
        print(json.dumps(out, indent=2, default=str))
    else:
        print(render(result) + (render_comparison(result, base) if base else ""))
        print(f"\nreproduce: make bench-costs{' BENCH_ARGS=--small' if args.small else ''}")


if __name__ == "__main__":
    main()
