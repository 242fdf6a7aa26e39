"""Roles and the one authorization helper.

Roles live on the account (`UserItem.roles`) and travel in the access token's `roles` claim,
so a check costs nothing; a grant or revoke takes effect at the holder's next refresh or login
(at most one access-token lifetime, 15 minutes). Every change writes an audit entry in the
same transaction as the change itself."""
from __future__ import annotations

from typing import Protocol

from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.services.tokens import Principal

MODERATOR = "moderator"
FOUNDER = "founder"
ROLES = frozenset({MODERATOR, FOUNDER})
# `make grant group=moderators` speaks of groups; the account stores roles.
GROUPS = {"moderators": MODERATOR, "founders": FOUNDER}
# A founder can do whatever a moderator can.
_IMPLIED = {FOUNDER: frozenset({MODERATOR})}


def effective_roles(roles: frozenset[str] | set[str]) -> frozenset[str]:
    out = set(roles)
    for role in roles:
        out |= _IMPLIED.get(role, frozenset())
    return frozenset(out)


def has_role(principal: Principal | None, role: str) -> bool:
    return principal is not None and role in effective_roles(principal.roles)


def require_role(principal: Principal | None, role: str) -> Principal:
    """Raise `Forbidden` unless `principal` holds `role` (directly or by implication)."""
    if role not in ROLES:  # a typo in a route must not silently deny (or allow) everyone
        raise ValueError(f"unknown role {role!r}")
    if principal is None or not has_role(principal, role):
        raise Forbidden(f"This needs the '{role}' role.", code="forbidden")
    return principal


def role_for_group(group: str) -> str:
    try:
        return GROUPS[group]
    except KeyError:
        raise ValidationError(f"Unknown group {group!r}; expected one of {', '.join(sorted(GROUPS))}.",
                              code="unknown_group", field="group") from None


class RoleStore(Protocol):
    def id_for_handle(self, handle: str) -> str | None: ...
    def change_role(self, user_id: str, role: str, *, grant: bool, actor: str, reason: str | None) -> bool: ...
    def list_role_changes(self, user_id: str, *, limit: int) -> list[dict]: ...


class RoleService:
    def __init__(self, store: RoleStore) -> None:
        self.store = store

    def _user_id(self, handle: str) -> str:
        user_id = self.store.id_for_handle(handle.strip().lower())
        if user_id is None:
            raise NotFound(f"No account has the handle {handle!r}.", code="unknown_handle")
        return user_id

    def grant(self, handle: str, group: str, *, actor: str, reason: str | None = None) -> dict:
        return self._change(handle, group, grant=True, actor=actor, reason=reason)

    def revoke(self, handle: str, group: str, *, actor: str, reason: str | None = None) -> dict:
        return self._change(handle, group, grant=False, actor=actor, reason=reason)

    def _change(self, handle: str, group: str, *, grant: bool, actor: str, reason: str | None) -> dict:
        role = role_for_group(group)
        user_id = self._user_id(handle)
        changed = self.store.change_role(user_id, role, grant=grant, actor=actor, reason=reason)
        return {"user_id": user_id, "handle": handle.strip().lower(), "role": role,
                "action": "grant" if grant else "revoke", "changed": changed}

    def history(self, principal: Principal, handle: str, *, limit: int = 50) -> dict:
        require_role(principal, FOUNDER)
        return {"items": self.store.list_role_changes(self._user_id(handle), limit=limit)}
