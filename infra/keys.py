"""First secret values: write the initial token signing key ring into a deployed stage.

    python -m infra.keys init --stage prod   (uses your AWS credentials; refuses to overwrite)

The key ring is generated on this machine and sent straight to Secrets Manager: it is never
printed or written to disk.
"""
from __future__ import annotations

import argparse
import json

from infra import resources as R


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["init"])
    parser.add_argument("--stage", required=True, choices=R.STAGES)
    parser.add_argument("--force", action="store_true", help="replace an initialised key ring")
    args = parser.parse_args()

    import boto3

    from local.bootstrap import new_keyring  # same generator as the local platform

    sm = boto3.client("secretsmanager")
    name = R.SIGNING_KEYS_SECRET.name(args.stage)
    current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    if "current" in current and not args.force:
        print(f"{name} is already initialised (use --force to replace: signs everyone out)")
        return 1
    sm.put_secret_value(SecretId=name, SecretString=json.dumps(new_keyring()))
    print(f"{name}: key ring written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
