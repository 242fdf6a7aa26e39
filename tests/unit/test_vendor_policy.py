"""The vendor risk policy (docs/screening.md): who is always checked, who is sampled, and that
the sample is stable per post and near its configured rate."""
from __future__ import annotations

import pytest

from chalicelib.screening.vendor_policy import AuthorFacts, VendorPolicy, sample_point, select

POLICY = VendorPolicy(new_account_days=30, first_posts=3, sample_rate=0.05)
ESTABLISHED = AuthorFacts(account_age_days=400, published_posts=40, ai_findings=0)


@pytest.mark.parametrize("author, protected, expected", [
    (None, False, (True, "unknown_author")),
    (AuthorFacts(400, 40, 1), False, (True, "earlier_ai_finding")),
    (AuthorFacts(3, 40, 0), False, (True, "new_account")),
    (AuthorFacts(400, 2, 0), False, (True, "first_posts")),
    (ESTABLISHED, True, (True, "protected")),
])
def test_risky_uploads_always_go_to_the_vendor(author, protected, expected):
    assert select(POLICY, author, "01HPOST", protected=protected) == expected


def test_established_artists_are_sampled_stably_near_the_rate():
    ids = [f"01J{i:08d}" for i in range(20000)]
    chosen = [pid for pid in ids if select(POLICY, ESTABLISHED, pid)[0]]
    assert 0.04 < len(chosen) / len(ids) < 0.06
    assert all(select(POLICY, ESTABLISHED, pid) == (True, "sampled") for pid in chosen[:50])
    assert select(POLICY, ESTABLISHED, chosen[0]) == select(POLICY, ESTABLISHED, chosen[0])  # redelivery
    skipped = next(pid for pid in ids if pid not in set(chosen))
    assert select(POLICY, ESTABLISHED, skipped) == (False, "established_not_sampled")
    assert 0 <= sample_point("x") < 1


def test_mode_all_checks_everything():
    assert select(VendorPolicy(mode="all"), ESTABLISHED, "01HPOST") == (True, "policy_all")
