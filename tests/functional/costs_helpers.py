"""Shared by the cost-control tests: founders are made by adding the role on the user item
and logging in again (the access token carries the roles)."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.tables import UserItem
from tests.helpers import PASSWORD, call, signup


def founder(client: Any) -> dict:
    user = signup(client)
    UserItem(*UserItem.key(user["id"])).update(actions=[UserItem.roles.add({"founder"})])
    status, body, _ = call(client, "POST", "/v1/auth/login", {"handle": user["handle"], "password": PASSWORD})
    assert status == 200, body
    return {**user, **body["tokens"]}
