"""Issue 19's re-measurement: what concurrency broke before, once requests no longer cross.

40 concurrent sign-ups, 40 concurrent follows of one artist, then 8 users each liking the
artist's published post from 3 requests at once (24 in flight), against a platform this
script starts on free ports. Prints statuses, the counters against the rows they count, and
the API log's tracebacks. Run: .venv/bin/python bench/measure_concurrency.py"""
import collections
import sys
import time
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import requests
from local.platform import Platform
from local.moto_server import free_port
from tests.fixtures.photos import detailed_jpeg
from tests.helpers import PASSWORD, unique_handle

LOGS = Path(tempfile.mkdtemp(prefix="concurrency-"))
p = Platform(api_port=free_port(), moto_port=free_port(), log_dir=LOGS).start()
B = p.api_url
statuses = collections.Counter()
def signup(prefix="m"):
    h = unique_handle(prefix)
    r = requests.post(f"{B}/v1/auth/signup", json={"handle": h, "email": f"{h}@example.com", "password": PASSWORD}, timeout=120)
    statuses[("signup", r.status_code)] += 1
    if r.status_code != 201:
        return None
    return {"handle": h, "h": {"Authorization": "Bearer " + r.json()["tokens"]["access_token"]}}
try:
    artist = signup("artist")
    photo = detailed_jpeg(1200, 800)
    r = requests.post(f"{B}/v1/posts", headers=artist["h"], json={"title": "T", "content_type": "image/jpeg", "content_length": len(photo)}, timeout=30)
    pid, up = r.json()["post"]["id"], r.json()["upload"]
    requests.post(up["url"], data=up["fields"], files={"file": ("a.jpg", photo)}, timeout=30)
    for _ in range(240):
        st = requests.get(f"{B}/v1/posts/{pid}", headers=artist["h"], timeout=30).json()["status"]
        if st not in ("processing", "awaiting_upload"): break
        time.sleep(0.5)
    print("post", st)
    t0 = time.monotonic()
    with ThreadPoolExecutor(40) as pool:
        fans = [f for f in pool.map(lambda _: signup(), range(40)) if f]
    print(f"40 concurrent signups: {len(fans)} ok in {time.monotonic()-t0:.1f}s")
    def follow(f):
        r = requests.post(f"{B}/v1/users/{artist['handle']}/follow", headers=f["h"], timeout=120)
        statuses[("follow", r.status_code)] += 1
    with ThreadPoolExecutor(40) as pool: list(pool.map(follow, fans))
    def like(f):
        r = requests.post(f"{B}/v1/posts/{pid}/like", headers=f["h"], timeout=120)
        statuses[("like", r.status_code)] += 1
    likers = fans[:8]
    with ThreadPoolExecutor(24) as pool: list(pool.map(like, [f for f in likers for _ in range(3)]))
    post = requests.get(f"{B}/v1/posts/{pid}", timeout=30).json()
    prof = requests.get(f"{B}/v1/users/{artist['handle']}", timeout=30).json()
    print("likes_count", post.get("likes_count"), "expected 8;", "followers_count", prof.get("followers_count"), "expected", len(fans))
    print(sorted(statuses.items()))
    log = (LOGS / "api.log").read_text()
    print("TransactWriteError tracebacks:", log.count("TransactWriteError"), "Traceback:", log.count("Traceback"))
finally:
    p.stop()
