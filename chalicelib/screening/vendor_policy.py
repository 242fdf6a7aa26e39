"""Which inconclusive uploads go to the paid AI-detection vendor: a risk policy. Pure.

The cascade already skips the vendor when provenance or the hash lists decide. Of the rest
(most uploads), `select` sends to the vendor (docs/screening.md, "Vendor risk policy"):
  - every upload of an account with an earlier AI finding (`ai_findings` > 0),
  - every upload of a new account (younger than `new_account_days`),
  - an artist's first `first_posts` published posts,
  - uploads marked protected (Glaze/Nightshade: the vendor is weaker there, but a high score
    still routes them to people),
  - and a deterministic sample (`sample_rate`, by post id, so a redelivery decides the same)
    of everything else: established artists with a clean record.
Not sent: an established artist's unsampled upload; it is published on the cheap signals and
stays open to reports (people review every report) and to a later finding, which puts every
later upload of that artist through the vendor. `mode = "all"` restores a check of every
inconclusive upload.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

ALWAYS = "all"
RISK = "risk"


@dataclass(frozen=True)
class VendorPolicy:
    mode: str = RISK
    new_account_days: float = 30.0
    first_posts: int = 3
    sample_rate: float = 0.04

    def record(self) -> dict:
        return {"mode": self.mode, "new_account_days": self.new_account_days, "first_posts": self.first_posts,
                "sample_rate": self.sample_rate}


@dataclass(frozen=True)
class AuthorFacts:
    account_age_days: float
    published_posts: int
    ai_findings: int


def sample_point(post_id: str) -> float:
    """A stable number in [0, 1) for the post (the same on every delivery)."""
    return int.from_bytes(hashlib.sha256(post_id.encode()).digest()[:8], "big") / 2 ** 64


def select(policy: VendorPolicy, author: AuthorFacts | None, post_id: str, *, protected: bool = False) -> tuple[bool, str]:
    """(send to the vendor?, why). An unknown author (no user item) is treated as new."""
    if policy.mode == ALWAYS:
        return True, "policy_all"
    if author is None:
        return True, "unknown_author"
    if author.ai_findings > 0:
        return True, "earlier_ai_finding"
    if author.account_age_days < policy.new_account_days:
        return True, "new_account"
    if author.published_posts < policy.first_posts:
        return True, "first_posts"
    if protected:
        return True, "protected"
    if sample_point(post_id) < policy.sample_rate:
        return True, "sampled"
    return False, "established_not_sampled"
