"""An unknown `kid` forces a Secrets Manager read at most once per 30 s (the security review:
made-up kids made every request a paid read)."""
from __future__ import annotations

from chalicelib.services.tokens import KeyRing, new_signing_key


def _secret() -> dict:
    return {"current": new_signing_key(), "previous": [], "cursor_key": "00" * 32}


def test_unknown_kids_force_at_most_one_read_per_interval() -> None:
    secret, reads, now = _secret(), [], [1000.0]

    def loader(force: bool) -> dict:
        reads.append(force)
        return secret

    ring = KeyRing(loader, clock=lambda: now[0])
    ring.current()
    for i in range(50):
        assert ring.find(f"made-up-{i}") is None
    assert reads.count(True) == 1
    now[0] += 31
    assert ring.find("made-up-again") is None
    assert reads.count(True) == 2


def test_a_key_rotated_in_is_still_found_by_the_forced_read() -> None:
    old, new = _secret(), _secret()
    current = [old]
    ring = KeyRing(lambda force: current[0] if not force else new, clock=lambda: 0.0)
    ring.current()
    assert ring.find(new["current"]["kid"]) is not None
