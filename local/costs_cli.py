"""`make costs`: the founders' month-to-date report in the terminal, read from the running
local platform (`make run` writes .local/platform.json with the moto endpoint).
Usage: python -m local.costs_cli [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE_FILE = ROOT / ".local" / "platform.json"


def configure(state_file: Path = STATE_FILE) -> dict:
    if not state_file.exists():
        sys.exit(f"{state_file} not found: start the platform first (make run)")
    state = json.loads(state_file.read_text())
    os.environ.update({"AWS_ENDPOINT_URL": state["endpoint"], "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_REGION": "us-east-1", "STAGE": state.get("stage", "dev"), **state.get("env", {})})
    return state


def render(report: dict, budget: dict, guard: dict, ledger: dict) -> str:
    lines = [f"Easel costs {report['from']} .. {report['to']}  (prices {report['prices']['version']})",
             f"  month to date   ${report['month_to_date_usd']:.6f}",
             f"  forecast month  ${report['forecast_month_usd']:.6f}   budget ${budget['monthly_usd']:.2f} "
             f"(saver at {budget['thresholds']['saver']:.0%}, survival at {budget['thresholds']['survival']:.0%})",
             f"  guard level     {guard['level']}{' (pinned)' if guard.get('pinned') else ''} since {guard['since']}",
             f"  MAU             {report['mau']}   cost per MAU "
             + (f"${report['cost_per_mau_usd']:.6f}" if report["cost_per_mau_usd"] is not None else "n/a"),
             f"  donations       ${ledger['total_usd']:.2f}   runway "
             + (f"{ledger['runway_days']} days" if ledger["runway_days"] is not None else "n/a (no spend)"),
             "", f"  {'service':<18}{'usd':>14}  units"]
    for g in report["groups"]:
        units = ", ".join(f"{k}={v:g}" for k, v in g["units"].items())
        lines.append(f"  {g['key']:<18}{g['usd']:>14.6f}  {units}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--from", dest="start")
    parser.add_argument("--to", dest="end")
    parser.add_argument("--group-by", default="service", choices=("service", "feature", "day"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure()
    sys.path.insert(0, str(ROOT))
    from chalicelib.services.costs import cost_service
    from chalicelib.services.donations import donation_service
    from chalicelib.services.guard import guard_service
    from chalicelib.services.tokens import Principal

    cli = Principal(user_id="cli", handle="cli", session_id="cli", roles=frozenset({"founder"}))
    report = cost_service().report(cli, args.start, args.end, args.group_by)
    budget, guard = cost_service().budget(), guard_service().state()
    ledger = donation_service().ledger(cli)
    if args.json:
        print(json.dumps({"report": report, "budget": budget, "guard": guard, "donations": ledger}, indent=2))
    else:
        print(render(report, budget, guard, ledger))


if __name__ == "__main__":
    main()
