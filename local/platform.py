"""`make run`: the whole platform on this machine — the embedded AWS endpoint (moto server),
the stage's resources bootstrapped from infra/resources.py, the API (Chalice's local server)
and the event worker. Ctrl-C or SIGTERM stops every process it started."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local.bootstrap import bootstrap  # noqa: E402
from local.moto_server import free_port, start_moto, wait_http  # noqa: E402

STATE_FILE = ROOT / ".local" / "platform.json"


def platform_env(endpoint: str, api_port: int, stage: str, resources: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(resources)
    env.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "STAGE": stage,
        "SERVE_LOCAL_ROUTES": "1", "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_DEV": env.get("POWERTOOLS_DEV", "0"),
        "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        # Every local client is 127.0.0.1: the per-address sign-up limit would stop a demo.
        "SIGNUPS_PER_ADDRESS_PER_HOUR": env.get("SIGNUPS_PER_ADDRESS_PER_HOUR", "100000"),
    })
    return env


class Platform:
    """Also used by the end-to-end tests and benchmarks (with free ports)."""

    def __init__(self, api_port: int = 8000, moto_port: int | None = None, stage: str = "dev",
                 log_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.api_port = api_port
        self.moto_port = moto_port
        self.stage = stage
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.procs: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}
        self.endpoint = ""

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _log(self, name: str):  # type: ignore[no-untyped-def]
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{name}.log", "ab")

    def start(self) -> "Platform":
        moto_log = str(self.log_dir / "moto.log") if self.log_dir else None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        moto, self.endpoint = start_moto(self.moto_port, log_path=moto_log)
        self.procs.append(moto)
        resources = bootstrap(self.endpoint, self.stage)
        self.env = platform_env(self.endpoint, self.api_port, self.stage, resources)
        self.env.update(self.extra_env)
        py = sys.executable
        for name, args in (("api", [py, "-m", "local.devserver", "--port", str(self.api_port),
                                    "--stage", self.stage]),
                           ("worker", [py, "-m", "local.worker"]),
                           ("schedules", [py, "-m", "local.worker", "--schedules"])):
            out = self._log(name)
            self.procs.append(subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=out,
                                               start_new_session=True))
        wait_http(f"{self.api_url}/v1/health", timeout=60, proc=self.procs[1])
        return self

    def stop(self) -> None:
        # API and worker first, the AWS endpoint last, so nothing polls a vanished endpoint.
        for group in (self.procs[1:], self.procs[:1]):
            for proc in reversed(group):
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
            for proc in group:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs.clear()


def main() -> None:
    api_port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "0")) or free_port()
    stage = os.environ.get("STAGE", "dev")
    platform = Platform(api_port=api_port, moto_port=moto_port, stage=stage)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        platform.start()
        STATE_FILE.parent.mkdir(exist_ok=True)
        STATE_FILE.write_text(json.dumps({"endpoint": platform.endpoint, "api": platform.api_url,
                                          "stage": stage, "env": {k: platform.env[k] for k in (
                                              "TABLE_NAME", "UPLOADS_BUCKET", "MEDIA_BUCKET", "UPLOAD_QUEUE_URL",
                                              "UPLOAD_DLQ_URL", "SIGNING_KEYS_SECRET")}}, indent=2))
        print(f"""
Easel is running (stage {stage}):
  API             {platform.api_url}          (try {platform.api_url}/v1/health)
  Media           {platform.api_url}/media/...
  AWS endpoint    {platform.endpoint}   (moto server: DynamoDB, S3, SQS, Secrets Manager, SES)
  API concurrency {platform.env.get('API_CONCURRENCY', '4')} environments, one request at a time each (as Lambda; API_CONCURRENCY=N)
  Event worker    polling {platform.env['UPLOAD_QUEUE_URL']}; scheduled handlers in their own process
Ctrl-C stops everything.
""", flush=True)
        while not stopping:
            for proc in platform.procs:
                if proc.poll() is not None:
                    print(f"a platform process exited ({proc.args[:3]}, code {proc.returncode}); stopping",
                          file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        platform.stop()
        STATE_FILE.unlink(missing_ok=True)
        print("Easel stopped.", flush=True)


if __name__ == "__main__":
    main()
