"""The API cold start stays lean (bench/bench_cold_start.py measures it): importing the app on
Lambda does not create the X-Ray tracer nor import PyJWT/cryptography; a sampled invocation
does create the tracer, and tokens still sign and verify."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ENV = {"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "easel-test-api",
              "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


def _run(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **LAMBDA_ENV, **env},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_importing_the_api_skips_xray_and_jwt():
    code = ("import sys, app; heavy = [m for m in ('aws_xray_sdk.core', 'jwt', 'cryptography') "
            "if m in sys.modules]; print(','.join(heavy) or 'none')")
    assert _run(code) == "none"


def test_a_sampled_invocation_creates_the_tracer():
    code = ("import os, sys; from chalicelib import observability as o; o.trace_if_sampled(); a = o._tracer; "
            "os.environ['_X_AMZN_TRACE_ID'] = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
            "Sampled=1'; o.trace_if_sampled(); print(a is None, o._tracer is not None, 'aws_xray_sdk.core' in sys.modules)")
    assert _run(code) == "True True True"


def test_tokens_sign_and_verify_with_lazy_imports():
    from chalicelib.services.tokens import KeyRing, TokenService, new_keyring_secret

    secret = new_keyring_secret()
    service = TokenService(KeyRing(lambda force: secret), issuer="i", audience="a", ttl_s=60)
    token = service.issue(user_id="u1", handle="h", session_id="s", roles={"artist"})
    assert service.verify(token).user_id == "u1"
    assert service.keyring.jwks()["keys"][0]["crv"] == "Ed25519"
