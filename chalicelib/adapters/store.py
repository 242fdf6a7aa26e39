"""Repositories over the application table: the only code that touches pynamodb.

Every method is named after an access pattern (see docs/data-model.md). Throttling and
transient DynamoDB failures become `Unavailable` (503 + Retry-After); conditional failures
become domain errors or idempotent no-ops. Services never see botocore or pynamodb errors.
"""
from __future__ import annotations

import functools
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import THROTTLING_CODES, error_code
from chalicelib.adapters.tables import (
    AttemptItem, BaseItem, EmailItem, FeedItem, FollowItem, HandleItem, MailTokenItem, PostItem,
    RoleAuditItem, SessionItem, UserItem, iso, utcnow,
)
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, Contention, Unavailable

F = TypeVar("F", bound=Callable[..., Any])


def dynamo_errors(func: F) -> F:
    """The last net of every repository method: contention, throttling and service errors that
    reach it (after botocore's and `retrying`'s retries) become 503 + Retry-After, never 500."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PynamoDBException as exc:
            outcome = write_outcome(exc)
            if outcome in (CONFLICT, THROTTLED):
                raise Contention() from exc
            if outcome == SERVICE or exc.cause_response_code in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
    return wrapper  # type: ignore[return-value]


def _conn() -> Connection:
    s = get_settings()
    return Connection(region=s.region, host=s.endpoint_url, max_retry_attempts=3)


# -- writes under contention: the one place their outcomes are told apart (issue 14) ----------
# Every DynamoDB transaction (`transaction()`) and conditional write (`update_if`, `delete_if`)
# goes through `retrying`: a failed condition is the caller's domain answer (re-raised
# untouched); a transaction conflict or throttling is retried with full-jitter backoff inside
# RETRY_BUDGET_S, then answered `Contention` (503 + Retry-After); a service or connection
# error that botocore's own retries did not cure is `Unavailable` (503). Nothing becomes a 500.
CONDITION_FAILED, CONFLICT, THROTTLED, SERVICE, OTHER = (
    "condition_failed", "conflict", "throttled", "service", "other")
RETRY_BUDGET_S = 1.5      # of one request's time; API Gateway allows 29 s, users far less
RETRY_BASE_S = 0.02       # first backoff ceiling; doubles per attempt up to RETRY_CAP_S
RETRY_CAP_S = 0.4
_CANCEL_CONFLICT = frozenset({"TransactionConflict"})
_CANCEL_THROTTLED = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
_CANCEL_CALLER = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})
_CONFLICT_CODES = frozenset({"TransactionConflictException", "TransactionInProgressException"})
_THROTTLED_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                              "RequestLimitExceeded", "Throttling"})
_SERVICE_CODES = frozenset({"InternalServerError", "InternalFailure", "InternalError",
                            "ServiceUnavailable", "ServiceUnavailableException"})


def write_outcome(exc: PynamoDBException) -> str:
    """Which of the five outcomes a failed write is: CONDITION_FAILED, CONFLICT, THROTTLED,
    SERVICE (5xx, a connection dropped or timed out) or OTHER (a caller's bug, e.g. validation)."""
    code = exc.cause_response_code
    if code == "ConditionalCheckFailedException":
        return CONDITION_FAILED
    if code == "TransactionCanceledException":
        reasons = {c for c in _cancel_codes(exc) if c and c != "None"}  # type: ignore[arg-type]
        if "ConditionalCheckFailed" in reasons:
            return CONDITION_FAILED  # the committed state answered; a retry would answer the same
        if reasons & _CANCEL_CONFLICT:
            return CONFLICT
        if reasons & _CANCEL_THROTTLED:
            return THROTTLED
        if reasons & _CANCEL_CALLER:
            return OTHER
        return SERVICE  # a reason DynamoDB does not document (an endpoint's internal failure)
    if code in _CONFLICT_CODES:
        return CONFLICT
    if code in _THROTTLED_CODES:
        return THROTTLED
    if code in _SERVICE_CODES or isinstance(exc.cause, BotoCoreError):
        return SERVICE
    return OTHER


T = TypeVar("T")


def retrying(op: Callable[[], T], *, budget_s: float | None = None) -> T:
    """Run one DynamoDB write; retry conflicts and throttling with full-jitter exponential
    backoff while the budget lasts. Re-raises a failed condition (and caller errors) as is."""
    deadline = time.monotonic() + (RETRY_BUDGET_S if budget_s is None else budget_s)
    attempt = 0
    while True:
        try:
            return op()
        except PynamoDBException as exc:
            outcome = write_outcome(exc)
            if outcome in (CONFLICT, THROTTLED):
                delay = random.uniform(0, min(RETRY_CAP_S, RETRY_BASE_S * (2 ** attempt)))
                if time.monotonic() + delay < deadline:
                    time.sleep(delay)
                    attempt += 1
                    continue
                raise Contention() from exc
            if outcome == SERVICE:
                raise Unavailable() from exc
            raise


class _RetryingTransactWrite(TransactWrite):
    """pynamodb's TransactWrite whose commit goes through `retrying`. Each attempt carries a
    fresh ClientRequestToken: botocore's own retries of one attempt (a timed-out or dropped
    connection) reuse it, so DynamoDB applies that attempt at most once; a cancelled attempt
    applied nothing, so the next one is a new request."""

    def _commit(self) -> Any:
        def attempt() -> Any:
            self._client_request_token = uuid.uuid4().hex
            return TransactWrite._commit(self)
        return retrying(attempt)


def transaction() -> TransactWrite:
    """The one way to write a DynamoDB transaction: `with transaction() as tx: tx.save(...)`.
    A failed condition still raises TransactWriteError for the caller to read its reasons."""
    return _RetryingTransactWrite(connection=_conn())


def _cancel_codes(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (exc.cancellation_reasons or [])]


def _is_conditional_cancel(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException" and \
        "ConditionalCheckFailed" in _cancel_codes(exc)


def _condition_failed(exc: TransactWriteError) -> bool:
    """For `except TransactWriteError`: True when a condition failed (the caller's idempotent
    no-op or domain answer); throttling becomes Unavailable; anything else propagates."""
    if _is_conditional_cancel(exc):
        return True
    if exc.cause_response_code in THROTTLING_CODES:
        raise Unavailable() from exc
    raise exc


def update_if(item: BaseItem, actions: list, condition: Any) -> bool:
    """One conditional UpdateItem; False when the condition failed (the caller's no-op)."""
    try:
        retrying(lambda: item.update(actions=actions, condition=condition))
    except PynamoDBException as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_if(item: BaseItem, condition: Any) -> bool:
    """One conditional DeleteItem; False when the condition failed."""
    try:
        retrying(lambda: item.delete(condition=condition))
    except PynamoDBException as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def first_condition_failed(exc: TransactWriteError) -> bool:
    """For `except TransactWriteError` where only the FIRST item's condition is an expected
    outcome (already exists, already requested): True then; throttling -> Unavailable; anything
    else propagates."""
    codes = _cancel_codes(exc)
    if codes and codes[0] == "ConditionalCheckFailed":
        return True
    if exc.cause_response_code in THROTTLING_CODES:
        raise Unavailable() from exc
    raise exc


# -- hot counters: the edge exact on its own, its count outside any transaction (issue 14) ---
# A viral artist's follows and likes all touch one counter item. Inside a transaction every
# pair of concurrent follows conflicts (TransactionConflict) and each costs double; as single
# UpdateItems they never conflict (DynamoDB serialises them on the item, up to 1,000 writes a
# second on one partition). So the edge is written alone and conditionally (exact and
# idempotent: only the request that created it counts it), then each counter gets a plain ADD.
# docs/data-model.md ("Hot counters") has the reasoning and the cost per follow.
ADDED, EXISTED, GONE = "added", "existed", "gone"


def add_counted_edge(edge: BaseItem, condition: Any, counters: list[tuple[BaseItem, Any, Any, Any]]) -> str:
    """Put `edge` if `condition` holds, then apply each counter's `(item, add, undo, condition)`.
    EXISTED: the edge was there (nothing counted). GONE: a counted item failed its condition
    (e.g. the post is no longer published): the edge and the counts applied so far are taken
    back. A counter that stays throttled is taken back the same way before the 503."""
    try:
        retrying(lambda: edge.save(condition=condition))
    except PynamoDBException as exc:
        if write_outcome(exc) == CONDITION_FAILED:
            return EXISTED
        raise
    applied: list[tuple[BaseItem, Any]] = []
    try:
        for item, add, undo, item_condition in counters:
            if not update_if(item, [add], item_condition):
                _take_back(edge, applied)
                return GONE
            applied.append((item, undo))
    except Unavailable:
        _take_back(edge, applied)
        raise
    return ADDED


def remove_counted_edge(edge: BaseItem, condition: Any, counters: list[tuple[BaseItem, Any]]) -> bool:
    """Delete `edge` if `condition` holds, then ADD each counter's decrement (never recreating
    an item that is gone). False when there was no edge (nothing counted)."""
    if not delete_if(edge, condition):
        return False
    for item, decrement in counters:
        try:
            update_if(item, [decrement], item.__class__.pk.exists())
        except Unavailable:
            from chalicelib.observability import logger

            logger.error("counter not decremented", pk=item.pk, sk=item.sk)  # docs/data-model.md: drift
            raise
    return True


def _take_back(edge: BaseItem, applied: list[tuple[BaseItem, Any]]) -> None:
    try:
        delete_if(edge, edge.__class__.pk.exists())
        for item, undo in applied:
            update_if(item, [undo], item.__class__.pk.exists())
    except Unavailable:
        from chalicelib.observability import logger

        logger.error("counted edge not taken back", pk=edge.pk, sk=edge.sk)  # docs/data-model.md: drift


def _get(model: type[BaseItem], key: tuple[str, str], consistent: bool = False) -> Any:
    try:
        return model.get(key[0], key[1], consistent_read=consistent)
    except DoesNotExist:
        return None


BATCH_GET_MAX = 100  # DynamoDB's limit of keys per BatchGetItem


def _batch_get_raw(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """One BatchGetItem for items of any entity (<=100 distinct keys; more are split into
    further calls of 100); retries unprocessed keys.
    Uses pynamodb's own botocore client (same endpoint, retries and credentials)."""
    unique = list(dict.fromkeys(keys))
    if len(unique) > BATCH_GET_MAX:
        out_all: dict[tuple[str, str], dict] = {}
        for start in range(0, len(unique), BATCH_GET_MAX):
            out_all.update(_batch_get_raw(unique[start:start + BATCH_GET_MAX]))
        return out_all
    out: dict[tuple[str, str], dict] = {}
    if not keys:
        return out
    table = get_settings().table_name
    ddb = BaseItem._get_connection().connection.client
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in unique]
    for _attempt in range(5):
        try:
            resp = ddb.batch_get_item(RequestItems={table: {"Keys": pending}})
        except ClientError as exc:
            if error_code(exc) in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        for item in resp.get("Responses", {}).get(table, []):
            out[(item["pk"]["S"], item["sk"]["S"])] = item
        pending = resp.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            break
    else:
        raise Unavailable()
    return out


class UserRepository:
    @dynamo_errors
    def create(self, user: UserItem) -> None:
        """Handle, e-mail and profile in one transaction: uniqueness without a scan."""
        handle_item = HandleItem(*HandleItem.key(user.handle), user_id=user.user_id)
        email_item = EmailItem(*EmailItem.key(user.email), user_id=user.user_id)
        # A tombstone of an erased account's handle is claimable once its grace period is over.
        free_handle = HandleItem.pk.does_not_exist() | (HandleItem.released_after <= int(utcnow().timestamp()))
        try:
            with transaction() as tx:
                tx.save(handle_item, condition=free_handle)
                tx.save(email_item, condition=EmailItem.pk.does_not_exist())
                tx.save(user, condition=UserItem.pk.does_not_exist())
        except TransactWriteError as exc:
            codes = _cancel_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise Conflict("That handle is taken.", code="handle_taken", field="handle") from None
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise Conflict("That e-mail address is already registered.", code="email_taken",
                               field="email") from None
            if exc.cause_response_code in THROTTLING_CODES or "ThrottlingError" in codes:
                raise Unavailable() from exc
            raise

    @dynamo_errors
    def get(self, user_id: str, consistent: bool = False) -> UserItem | None:
        return _get(UserItem, UserItem.key(user_id), consistent)

    @dynamo_errors
    def id_for_handle(self, handle: str) -> str | None:
        item = _get(HandleItem, HandleItem.key(handle))
        return item.user_id if item and item.released_after is None else None  # tombstone: nobody

    def get_by_handle(self, handle: str) -> UserItem | None:
        """An account that asked to be deleted is gone for everyone from that moment."""
        user_id = self.id_for_handle(handle)
        user = self.get(user_id) if user_id else None
        return user if user is not None and not user.deletion_requested_at else None

    def require_by_handle(self, handle: str) -> UserItem:
        """The user behind a handle from a URL; a malformed or unknown handle is 404 alike."""
        from chalicelib.domain import validation as v
        from chalicelib.errors import NotFound, ValidationError

        try:
            user = self.get_by_handle(v.handle(handle))
        except ValidationError:
            user = None
        if user is None:
            raise NotFound("No such user.")
        return user

    @dynamo_errors
    def set_password_hash(self, user: UserItem, new_hash: str) -> None:
        user.update(actions=[UserItem.password_hash.set(new_hash)])

    @dynamo_errors
    def id_for_email(self, email: str) -> str | None:
        item = _get(EmailItem, EmailItem.key(email))
        return item.user_id if item else None

    @dynamo_errors
    def set_email_verified(self, user_id: str, email: str) -> bool:
        """False when the account's address has changed since the token was sent."""
        return update_if(UserItem(*UserItem.key(user_id)), [UserItem.email_verified.set(True)],
                         UserItem.email == email)

    @dynamo_errors
    def mark_large_pending(self, user_id: str) -> bool:
        """normal -> large_pending, once: True only for the request that flips it (that one
        enqueues the followers walk). Never creates an item (an erased account stays erased)."""
        return update_if(UserItem(*UserItem.key(user_id)), [UserItem.large_pending.set(True)],
                         UserItem.pk.exists() & UserItem.large_pending.does_not_exist()
                         & ~(UserItem.large_account == True))  # noqa: E712

    @dynamo_errors
    def clear_large_pending(self, user_id: str) -> None:
        """The walk could not be enqueued: the next follow over the limit tries again."""
        update_if(UserItem(*UserItem.key(user_id)), [UserItem.large_pending.remove()], UserItem.pk.exists())

    @dynamo_errors
    def mark_large(self, user_id: str) -> None:
        """large_pending -> large_account, set by the followers walk when it has finished."""
        update_if(UserItem(*UserItem.key(user_id)), [UserItem.large_account.set(True)], UserItem.pk.exists())


class SessionRepository:
    @dynamo_errors
    def create(self, session: SessionItem) -> None:
        session.gsi1pk, session.gsi1sk = SessionItem.index_key(session.user_id, session.session_id)
        session.save(condition=SessionItem.pk.does_not_exist())

    @dynamo_errors
    def get(self, session_id: str) -> SessionItem | None:
        return _get(SessionItem, SessionItem.key(session_id), consistent=True)

    @dynamo_errors
    def rotate(self, session: SessionItem, new_hash: str, *, keep_previous: int,
               last_used_at: str, expires: datetime) -> bool:
        """Compare-and-set on `generation`: of two concurrent refreshes only one rotates."""
        previous = ([session.secret_hash] + list(session.previous_hashes or []))[:keep_previous]
        try:
            session.update(
                actions=[SessionItem.secret_hash.set(new_hash), SessionItem.previous_hashes.set(previous),
                         SessionItem.generation.add(1), SessionItem.last_used_at.set(last_used_at),
                         SessionItem.expires_at.set(expires)],
                condition=(SessionItem.generation == session.generation) & (SessionItem.revoked == False),  # noqa: E712
            )
        except PynamoDBException as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @dynamo_errors
    def revoke(self, session_id: str) -> None:
        SessionItem(*SessionItem.key(session_id)).update(actions=[SessionItem.revoked.set(True)])

    @dynamo_errors
    def list_for_user(self, user_id: str) -> list[SessionItem]:
        """USER_SESSIONS#<uid> on gsi1 (keys only), then one BatchGetItem per 100 sessions.
        Returns every stored session, revoked and expired ones included: callers filter."""
        pk, _ = SessionItem.index_key(user_id, "")
        keys = [(item.pk, item.sk) for item in SessionItem.gsi1.query(pk)]
        out: list[SessionItem] = []
        for start in range(0, len(keys), 100):
            raw = _batch_get_raw(keys[start:start + 100])
            out.extend(SessionItem.from_raw_data(item) for item in raw.values())
        return [s for s in out if s.user_id == user_id]

    @dynamo_errors
    def revoke_many(self, session_ids: Iterable[str]) -> int:
        count = 0
        for session_id in session_ids:  # one small UpdateItem each; a user has few sessions
            self.revoke(session_id)
            count += 1
        return count


class PostRepository:
    @dynamo_errors
    def create(self, post: PostItem) -> None:
        post.save(condition=PostItem.pk.does_not_exist())

    @dynamo_errors
    def get(self, post_id: str, consistent: bool = False) -> PostItem | None:
        return _get(PostItem, PostItem.key(post_id), consistent)

    @dynamo_errors
    def claim_for_processing(self, post: PostItem) -> bool:
        """awaiting_upload|processing -> processing. False when already decided."""
        try:
            post.update(actions=[PostItem.status.set("processing")],
                        condition=PostItem.status.is_in("awaiting_upload", "processing"))
        except PynamoDBException as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @dynamo_errors
    def decide(self, post: PostItem, *, status: str, screening: dict, images: list[dict] | None,
               labels: list[str], decided_at: str) -> bool:
        """processing -> final status; publishing also lists the post in the portfolio
        (sparse GSI) and counts it, in one transaction. False if another worker decided first."""
        actions = [PostItem.status.set(status), PostItem.screening.set(screening),
                   PostItem.labels.set(labels), PostItem.decided_at.set(decided_at)]
        if images is not None:
            actions.append(PostItem.images.set(images))
        if status == "published":
            gpk, gsk = PostItem.portfolio_key(post.author_id, post.post_id)
            actions += [PostItem.gsi1pk.set(gpk), PostItem.gsi1sk.set(gsk)]
        try:
            with transaction() as tx:
                tx.update(post, actions=actions, condition=PostItem.status == "processing")
                if status == "published":
                    tx.update(UserItem(*UserItem.key(post.author_id)),
                              actions=[UserItem.posts_count.add(1)],
                              condition=UserItem.pk.exists())  # an erased author: never recreate the item
        except TransactWriteError as exc:
            if _condition_failed(exc):
                return False
        post.status = status
        return True

    @dynamo_errors
    def mark_fanout_done(self, post: PostItem) -> None:
        post.update(actions=[PostItem.fanout_done.set(True)])

    @dynamo_errors
    def list_portfolio_ids(self, author_id: str, *, limit: int, after: str | None) -> tuple[list[str], str | None]:
        pk, _ = PostItem.portfolio_key(author_id, "")
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if after:
            kwargs["range_key_condition"] = PostItem.gsi1sk < after
        result = PostItem.gsi1.query(pk, **kwargs)
        ids = [item.gsi1sk for item in result]
        more = result.last_evaluated_key is not None and len(ids) == limit
        return ids, (ids[-1] if more and ids else None)

    def latest_portfolio_ids_of(self, author_ids: list[str], *, limit: int,
                                after: str | None) -> tuple[dict[str, list[str]], bool]:
        """The merge-on-read half of the feed: for each large account followed, one keys-only
        Query of its portfolio below the cursor, 8 at a time. Returns ids per author and
        whether any source has more."""
        if not author_ids:
            return {}, False
        import contextvars

        def one(author_id: str) -> tuple[str, tuple[list[str], str | None]]:
            return author_id, self.list_portfolio_ids(author_id, limit=limit, after=after)

        # Each task runs in a copy of this request's context, so the cost meter counts its reads.
        pages = list(_read_pool().map(lambda a: contextvars.copy_context().run(one, a), author_ids))
        return {a: ids for a, (ids, _) in pages}, any(more is not None for _, (_, more) in pages)

    @dynamo_errors
    def batch_get(self, post_ids: list[str], extra_keys: Iterable[tuple[str, str]] = ()) -> tuple[dict[str, PostItem], dict[tuple[str, str], dict]]:
        """One BatchGetItem for a page of posts plus any extra items (e.g. follow edges)."""
        keys = [PostItem.key(pid) for pid in post_ids] + list(extra_keys)
        raw = _batch_get_raw(keys)
        posts: dict[str, PostItem] = {}
        for pid in post_ids:
            item = raw.pop(PostItem.key(pid), None)
            if item is not None:
                posts[pid] = PostItem.from_raw_data(item)
        return posts, raw


@functools.lru_cache(maxsize=1)
def _read_pool() -> Any:
    """Threads for a few parallel Queries in one request (reused while the container is warm)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="feed-merge")


class GraphRepository:
    @dynamo_errors
    def follow(self, follower_id: str, followee_id: str) -> bool:
        """The edge (conditional Put), then both counters (plain ADDs, no transaction: a hot
        artist's followers never conflict). False when already following."""
        created_at = utcnow().isoformat()  # microseconds: also this request's mark on the edge
        edge = FollowItem(*FollowItem.key(follower_id, followee_id), follower_id=follower_id,
                          followee_id=followee_id, created_at=created_at)
        edge.gsi1pk, edge.gsi1sk = FollowItem.index_key(follower_id, followee_id)
        follower, followee = UserItem(*UserItem.key(follower_id)), UserItem(*UserItem.key(followee_id))
        # New, or the one this request wrote: botocore's resend of a Put whose answer was lost counts once.
        new_or_mine = FollowItem.pk.does_not_exist() | (FollowItem.created_at == created_at)
        outcome = add_counted_edge(edge, new_or_mine, [
            (follower, UserItem.following_count.add(1), UserItem.following_count.add(-1), UserItem.pk.exists()),
            (followee, UserItem.followers_count.add(1), UserItem.followers_count.add(-1), UserItem.pk.exists()),
        ])
        if outcome == GONE:
            raise Conflict("That account no longer exists.", code="user_gone")
        return outcome == ADDED

    @dynamo_errors
    def is_following(self, follower_id: str, followee_id: str) -> bool:
        """One GetItem on the edge (the profile page's Follow button state)."""
        return _get(FollowItem, FollowItem.key(follower_id, followee_id)) is not None

    @dynamo_errors
    def unfollow(self, follower_id: str, followee_id: str) -> bool:
        return remove_counted_edge(FollowItem(*FollowItem.key(follower_id, followee_id)), FollowItem.pk.exists(), [
            (UserItem(*UserItem.key(follower_id)), UserItem.following_count.add(-1)),
            (UserItem(*UserItem.key(followee_id)), UserItem.followers_count.add(-1)),
        ])

    @dynamo_errors
    def recount_follows(self, user_id: str) -> tuple[int, int]:
        """Fold both counters back from the edges (the truth): followers by a keys-only count
        of gsi1 `FOLLOWERS#<id>`, following by a count of the `FOLLOW#<id>` partition; then SET
        them. O(edges) reads (≈0.02 RRU per edge), so a background job, never a request."""
        followers = FollowItem.gsi1.count(FollowItem.index_key("", user_id)[0])
        following = FollowItem.count(FollowItem.key(user_id, "")[0])
        update_if(UserItem(*UserItem.key(user_id)), [UserItem.followers_count.set(followers),
                                                     UserItem.following_count.set(following)], UserItem.pk.exists())
        return followers, following

    @dynamo_errors
    def set_follows_large(self, follower_id: str, large_id: str, following: bool) -> None:
        user = UserItem(*UserItem.key(follower_id))
        action = UserItem.follows_large.add({large_id}) if following else \
            UserItem.follows_large.delete({large_id})
        update_if(user, [action], UserItem.pk.exists())  # never recreate an account erased meanwhile

    @dynamo_errors
    def iter_follower_ids(self, followee_id: str, page_size: int = 500, after: str | None = None) -> Iterator[str]:
        """Followers in id order; `after` resumes a walk past that follower id."""
        pk, _ = FollowItem.index_key("", followee_id)
        condition = FollowItem.gsi1sk > after if after else None
        for item in FollowItem.gsi1.query(pk, condition, page_size=page_size):
            yield item.gsi1sk


class FeedRepository:
    @dynamo_errors
    def add_to_feeds(self, user_ids: Iterable[str], post_id: str, author_id: str, ttl_days: int, *,
                     publication: bool = False) -> int:
        """BatchWriteItem in chunks of 25 (pynamodb retries unprocessed items). Idempotent:
        the same post lands on the same key. `publication`: the fan-out at publication, whose
        followers cannot have liked the post yet, so the entry carries the viewer's state (v=2,
        chalicelib/adapters/feed_state_store.py); a backfill's entries do not."""
        expires = utcnow() + timedelta(days=ttl_days)
        count = 0
        with FeedItem.batch_write() as batch:
            for uid in user_ids:
                batch.save(FeedItem(*FeedItem.key(uid, post_id), author_id=author_id, expires_at=expires,
                                    fmt=2 if publication else None))
                count += 1
        return count

    @dynamo_errors
    def list_feed(self, user_id: str, *, limit: int, after: str | None) -> tuple[list[tuple[str, str]], str | None]:
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if after:
            kwargs["range_key_condition"] = FeedItem.sk < after
        result = FeedItem.query(FeedItem.partition(user_id), **kwargs)
        entries = [(item.sk, item.author_id) for item in result]
        more = result.last_evaluated_key is not None and len(entries) == limit
        return entries, (entries[-1][0] if more and entries else None)


class AttemptRepository:
    """Failed-login counters (per account, per client address) and mail-send counters."""

    @dynamo_errors
    def load(self, keys: list[tuple[str, str]],
             user_id: str | None = None) -> tuple[UserItem | None, dict[tuple[str, str], AttemptItem]]:
        """One BatchGetItem for the counters and the account's profile. When there is no
        account a key that never exists is read instead, so both paths cost the same."""
        user_key = UserItem.key(user_id or "-")
        raw = _batch_get_raw([user_key, *keys])
        user_raw = raw.pop(user_key, None)
        user = UserItem.from_raw_data(user_raw) if user_raw and user_id else None
        return user, {k: AttemptItem.from_raw_data(v) for k, v in raw.items()}

    @dynamo_errors
    def record_failure(self, key: tuple[str, str], *, now: float, window_s: int) -> AttemptItem:
        """Atomically count one failure; a counter whose window has ended restarts at 1."""
        for _attempt in range(3):
            item = AttemptItem(*key)
            try:
                item.update(actions=[AttemptItem.failures.add(1)], condition=AttemptItem.window_ends > now)
                return item  # pynamodb refreshes the instance from the update's ALL_NEW values
            except PynamoDBException as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            ends = now + window_s
            fresh = AttemptItem(*key, failures=1, window_ends=ends,
                                expires_at=datetime.fromtimestamp(ends, tz=timezone.utc))
            try:
                fresh.save(condition=AttemptItem.pk.does_not_exist() | (AttemptItem.window_ends <= now))
                return fresh
            except PynamoDBException as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
        raise Unavailable()

    @dynamo_errors
    def block(self, key: tuple[str, str], *, next_allowed_at: float | None, locked_until: float | None,
              expires: float) -> None:
        actions: list[Any] = [AttemptItem.expires_at.set(datetime.fromtimestamp(int(expires) + 1, tz=timezone.utc))]
        if next_allowed_at is not None:
            actions.append(AttemptItem.next_allowed_at.set(int(next_allowed_at) + 1))
        if locked_until is not None:
            # the window ends with the lock, so the count restarts once the lock is over
            actions += [AttemptItem.locked_until.set(int(locked_until) + 1),
                        AttemptItem.window_ends.set(int(locked_until) + 1)]
        AttemptItem(*key).update(actions=actions)

    @dynamo_errors
    def clear(self, key: tuple[str, str]) -> None:
        AttemptItem(*key).delete()

    @dynamo_errors
    def put(self, item: AttemptItem) -> None:
        item.save()


class MailTokenRepository:
    @dynamo_errors
    def create(self, item: MailTokenItem) -> None:
        item.save(condition=MailTokenItem.pk.does_not_exist())

    @dynamo_errors
    def get(self, token_hash: str) -> MailTokenItem | None:
        return _get(MailTokenItem, MailTokenItem.key(token_hash), consistent=True)

    @dynamo_errors
    def consume(self, item: MailTokenItem) -> bool:
        """Single use: of two concurrent redemptions exactly one succeeds."""
        try:
            item.update(actions=[MailTokenItem.used_at.set(iso(utcnow()))],
                        condition=MailTokenItem.used_at.does_not_exist())
        except PynamoDBException as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class RoleRepository:
    """Roles on the account plus their audit trail, changed in one transaction."""

    def __init__(self, users: UserRepository | None = None) -> None:
        self.users = users or UserRepository()

    def id_for_handle(self, handle: str) -> str | None:
        return self.users.id_for_handle(handle)

    @dynamo_errors
    def change_role(self, user_id: str, role: str, *, grant: bool, actor: str, reason: str | None) -> bool:
        """False (and no audit entry) when the account already is in the asked-for state."""
        from ulid import ULID

        user = UserItem(*UserItem.key(user_id))
        if grant:
            action = UserItem.roles.add({role})
            condition = UserItem.pk.exists() & ~UserItem.roles.contains(role)
        else:
            action = UserItem.roles.delete({role})
            condition = UserItem.roles.contains(role)
        audit = RoleAuditItem(*RoleAuditItem.key(user_id, str(ULID())), user_id=user_id, role=role,
                              action="grant" if grant else "revoke", actor=actor, reason=reason,
                              at=iso(utcnow()))
        try:
            with transaction() as tx:
                tx.update(user, actions=[action], condition=condition)
                tx.save(audit, condition=RoleAuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if _condition_failed(exc):
                return False
        return True

    @dynamo_errors
    def list_role_changes(self, user_id: str, *, limit: int) -> list[dict]:
        items = RoleAuditItem.query(RoleAuditItem.partition(user_id), RoleAuditItem.sk.startswith("ROLE#"),
                                    limit=limit)
        return [{"role": i.role, "action": i.action, "actor": i.actor, "reason": i.reason, "at": i.at}
                for i in items]
