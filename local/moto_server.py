"""Start moto in server mode as a child process on 127.0.0.1 and wait until it answers.
It runs through local/moto_locked.py: moto's own app with DynamoDB's write isolation."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def start_moto(port: int | None = None, log_path: str | None = None) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    env = dict(os.environ)
    env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    proc = subprocess.Popen([sys.executable, "-m", "local.moto_locked", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                            cwd=str(Path(__file__).resolve().parents[1]))
    endpoint = f"http://127.0.0.1:{port}"
    wait_http(f"{endpoint}/moto-api/", proc=proc)
    return proc, endpoint
