"""Chalice's local server, with API Gateway's gateway response for unknown routes mirrored:
in production infra maps MISSING_AUTHENTICATION_TOKEN to a JSON 404 in Easel's error shape;
locally this handler does the same. Run: python -m local.devserver --port 8000 --stage dev"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from chalice.cli.factory import CLIFactory
from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalDevServer, LocalGatewayException

ROOT = Path(__file__).resolve().parents[1]
NOT_FOUND = json.dumps({"error": {"code": "not_found", "message": "No such route."}}).encode()


class EaselRequestHandler(ChaliceRequestHandler):
    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError) and b"Missing Authentication Token" in (error.body or b""):
            self._send_http_response(404, {"Content-Type": "application/json"}, NOT_FOUND)
            return
        super()._send_error_response(error)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        sys.stderr.write("api: " + (format % args) + "\n")


def apply_stage_environment(stage: str) -> None:
    """The stage's variables from .chalice/config.json, as Lambda would see them; the
    platform's own environment (endpoint, queue URLs) wins. Must run before app.py loads."""
    raw = json.loads((ROOT / ".chalice" / "config.json").read_text())
    merged = {**raw.get("environment_variables", {}),
              **raw["stages"][stage].get("environment_variables", {})}
    for key, value in merged.items():
        os.environ.setdefault(key, value)


def make_server(host: str, port: int, stage: str) -> LocalDevServer:
    apply_stage_environment(stage)
    factory = CLIFactory(project_dir=str(ROOT))
    config = factory.create_config_obj(chalice_stage_name=stage)
    return LocalDevServer(config.chalice_app, config, host, port, handler_cls=EaselRequestHandler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if os.environ.get("EASEL_AWS_CALL_LOG"):  # the e2e tests' IAM audit (local/iam_audit.py)
        from local import iam_audit

        iam_audit.install()
    server = make_server(args.host, args.port, args.stage)
    print(f"api: serving on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
