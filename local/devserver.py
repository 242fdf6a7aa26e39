"""The local API Gateway + Lambda: a pool of execution environments on one port.

On Lambda an execution environment handles one request at a time, and more environments are
started when requests overlap. Chalice keeps the request being handled in one attribute of the
app (`app.current_request`, read by every view and blueprint), which is only safe under that
rule. Chalice's own local server is a threaded HTTP server, so two requests in flight share that
attribute and answer with each other's bodies and identities (issue 19). This module models
Lambda instead:

- the supervisor (`python -m local.devserver`) opens the listening socket once and starts
  `--environments` (`API_CONCURRENCY`, default 4) environment processes that inherit it;
- each environment imports app.py itself (its cold start, logged and reported on its first
  response as `X-Local-Cold-Start-Ms`), then serves exactly one connection at a time with a
  plain single-threaded HTTPServer: only an idle environment calls accept(), so the kernel hands
  each new connection to a free one, and requests beyond the pool wait in the listen backlog;
- every response closes its connection (`Connection: close`): a browser's keep-alive socket
  would otherwise pin an environment while it sits idle between requests;
- an environment that dies is replaced (a new cold start), as Lambda replaces a crashed one.

The app code is untouched: it runs exactly as on Lambda, one request per process at a time.
API Gateway's gateway response for unknown routes is mirrored too: in production infra maps
MISSING_AUTHENTICATION_TOKEN to a JSON 404 in Easel's error shape; locally the handler does the
same. Run: python -m local.devserver --port 8000 --stage dev [--environments 4]"""
from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from http.server import HTTPServer
from pathlib import Path

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGatewayException

from local import throttle, webstatic

ROOT = Path(__file__).resolve().parents[1]
LOCAL_METER_FLUSH = "/__local/meter/flush"
NOT_FOUND = json.dumps({"error": {"code": "not_found", "message": "No such route."}}).encode()
DEFAULT_ENVIRONMENTS = 4


class EaselRequestHandler(ChaliceRequestHandler):
    """One request per connection; the environment's number (and, on its first response, its
    cold start) in local-only headers so a developer can see which environment answered."""

    environment = 0
    cold_start_ms: float | None = None

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        self.send_header("Connection", "close")  # also sets close_connection: one request per connection
        self.send_header("X-Local-Environment", str(self.environment))
        cls = type(self)
        if cls.cold_start_ms is not None:
            self.send_header("X-Local-Cold-Start-Ms", f"{cls.cold_start_ms:.0f}")
            cls.cold_start_ms = None

    def _easel_handle(self) -> None:
        """The web app (web/dist) for non-API GETs and the test-only throttle switch; else the API."""
        if throttle.answer_if_throttled(self):
            return
        if self.command in ("GET", "HEAD") and webstatic.serve(self):
            return
        self._generic_handle()

    do_GET = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _easel_handle  # do_POST below

    def _send_error_response(self, error: LocalGatewayException) -> None:
        body = error.body or b""
        # Unknown route: "Missing Authentication Token", or with an Authorization header the
        # gateway's SigV4 complaint (infra/app.py maps both gateway responses to this 404).
        if isinstance(error, ForbiddenError) and (b"Missing Authentication Token" in body
                                                  or b"Authorization header requires" in body):
            self._send_http_response(404, {"Content-Type": "application/json"}, NOT_FOUND)
            return
        super()._send_error_response(error)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        # Local only (never in the deployed API): write the meter's buffered usage now, so the
        # cost benchmark can read exact per-phase figures while the API batches its writes as
        # deployed (METER_FLUSH_EVERY; chalicelib/metering). Each environment has its own
        # buffer: bench/bench_costs.py `settle` flushes every one.
        if self.path == LOCAL_METER_FLUSH:
            from chalicelib import metering

            metering.flush()
            # Held briefly, so that N concurrent flush requests reach N different environments
            # (only an idle environment accepts a connection); the answer names this one.
            time.sleep(0.5)
            self._send_http_response(204, {}, b"")
            return
        self._easel_handle()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        sys.stderr.write(f"api[{self.environment}]: " + (format % args) + "\n")


class EnvironmentServer(HTTPServer):
    """A single-threaded HTTP server on an inherited listening socket: one request at a time."""

    def __init__(self, fd: int, handler: object) -> None:
        super().__init__(("127.0.0.1", 0), handler, bind_and_activate=False)  # type: ignore[arg-type]
        self.socket.close()
        self.socket = socket.socket(fileno=fd)
        self.server_address = self.socket.getsockname()

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that went away mid-answer must not kill the environment; say so and go on.
        sys.stderr.write(f"api: connection from {client_address} failed: {sys.exc_info()[1]!r}\n")


def apply_stage_environment(stage: str) -> None:
    """The stage's variables from .chalice/config.json, as Lambda would see them; the
    platform's own environment (endpoint, queue URLs) wins. Must run before app.py loads."""
    raw = json.loads((ROOT / ".chalice" / "config.json").read_text())
    merged = {**raw.get("environment_variables", {}),
              **raw["stages"][stage].get("environment_variables", {})}
    for key, value in merged.items():
        os.environ.setdefault(key, value)


def serve_environment(fd: int, number: int, stage: str) -> None:
    """One execution environment: cold start (import app.py), then one request at a time."""
    from chalice.cli.factory import CLIFactory

    started = time.perf_counter()
    apply_stage_environment(stage)
    config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name=stage)
    app_object = config.chalice_app  # imports app.py: the work Lambda's INIT phase does
    cold_ms = (time.perf_counter() - started) * 1000
    handler_cls = type("EnvironmentHandler", (EaselRequestHandler,),
                       {"environment": number, "cold_start_ms": cold_ms})
    server = EnvironmentServer(fd, functools.partial(handler_cls, app_object=app_object, config=config))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"api[{number}]: environment ready, cold start {cold_ms:.0f} ms", flush=True)
    server.serve_forever(poll_interval=0.5)


class Supervisor:
    """Owns the port; keeps `count` environments alive; stops them all on SIGTERM/SIGINT."""

    def __init__(self, host: str, port: int, stage: str, count: int) -> None:
        self.stage = stage
        self.count = count
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(256)
        # Non-blocking: every idle environment wakes on a new connection, one wins accept(),
        # the others see EAGAIN (socketserver ignores it) instead of blocking inside accept().
        self.listener.setblocking(False)
        self.listener.set_inheritable(True)
        self.address = f"http://{host}:{self.listener.getsockname()[1]}"
        self.procs: dict[int, subprocess.Popen] = {}
        self.stopping = False

    def spawn(self, number: int) -> None:
        fd = self.listener.fileno()
        self.procs[number] = subprocess.Popen(
            [sys.executable, "-m", "local.devserver", "--serve-fd", str(fd), "--number", str(number),
             "--stage", self.stage], cwd=ROOT, pass_fds=(fd,))

    def run(self) -> None:
        def _stop(*_: object) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        for number in range(1, self.count + 1):
            self.spawn(number)
        print(f"api: serving on {self.address} with {self.count} environments "
              "(one request at a time each, as Lambda)", flush=True)
        try:
            while not self.stopping:
                for number, proc in list(self.procs.items()):
                    if proc.poll() is not None and not self.stopping:
                        print(f"api[{number}]: environment exited with {proc.returncode}; starting a new one",
                              file=sys.stderr, flush=True)
                        self.spawn(number)
                time.sleep(0.2)
        finally:
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in self.procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.listener.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--environments", type=int,
                        default=int(os.environ.get("API_CONCURRENCY", DEFAULT_ENVIRONMENTS)))
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--number", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if os.environ.get("EASEL_AWS_CALL_LOG"):  # the e2e tests' IAM audit (local/iam_audit.py)
        from local import iam_audit

        iam_audit.install()
    if args.serve_fd is not None:
        serve_environment(args.serve_fd, args.number, args.stage)
        return
    if args.environments < 1:
        parser.error("--environments must be at least 1")
    Supervisor(args.host, args.port, args.stage, args.environments).run()


if __name__ == "__main__":
    main()
