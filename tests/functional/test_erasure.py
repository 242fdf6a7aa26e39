"""DELETE /v1/me: the account and everything it made are erased by the background job; other
people's counters are put right; the handle is held for a grace period, the e-mail is free.

The final assertion scans the whole table (a test may; the code never does) for any item that
still carries the erased user's id, and lists the few kinds that are kept on purpose."""
from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta

import boto3
import pytest

from tests.community_helpers import follow, publish
from tests.helpers import PASSWORD, call, drain, s3, signup, unique_handle


def _assert_only_kept_items(user_id: str) -> None:
    """Items still naming the erased user must be one of the kinds kept on purpose
    (docs/identity.md): her erasure record and handle tombstone; OTHER people's items — their
    copy of a conversation with her (its id holds both ids; her own messages are gone), their
    inbox rows, notifications about her and feed entries of her posts and reposts (both expire
    and are dropped at read time), their mutes of her; rows that expire by TTL: the raw usage
    meter (8 days), the daily upload quota counter, an unused e-mail token (48 h)."""
    for item in _items_mentioning(user_id):
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        kind = pk.split("#")[0]
        own = pk.endswith(f"#{user_id}")
        if kind == "CONV":
            assert sk == "META" or item.get("sender_id", {}).get("S") != user_id, item
        elif kind in ("INBOX", "NOTIF", "FEED", "MUTE", "FEEDSTATE"):  # FEEDSTATE: their mute/unfollow id sets
            assert not own, item  # someone else's
        else:
            assert kind in ("ERASURE", "HANDLE", "USAGE", "QUOTA", "MAILTOKEN"), item


def _ddb():
    return boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def _items_mentioning(user_id: str) -> list[dict]:
    table = os.environ.get("TABLE_NAME", "easel-dev")
    found, kwargs = [], {"TableName": table}
    while True:
        page = _ddb().scan(**kwargs)
        found += [i for i in page["Items"] if user_id in json.dumps(i)]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _objects(bucket: str, prefix: str) -> list[str]:
    return [o["Key"] for o in s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def _final_pass(user_id: str) -> str:
    """Pass 2 is sent with DelaySeconds=900 (the access-token lifetime; asserted in
    test_final_pass_is_delayed_by_the_token_lifetime); here it is delivered at once."""
    from chalicelib import container

    return container.erasure().handle_job({"type": "erase_account", "user_id": user_id, "pass": 2})


def test_deleting_an_account_erases_it_and_repairs_everyone_elses_counts(client, easel_app):
    ada, bo, cy = signup(client), signup(client), signup(client)
    ta, tb = ada["access_token"], bo["access_token"]
    # Ada's life on Easel: posts (one published, one never uploaded), interactions both ways.
    [ada_post] = publish(client, easel_app, ada, tags=["ink"])
    status, pending, _ = call(client, "POST", "/v1/posts", {"title": "Draft", "content_type": "image/png",
                                                            "content_length": 10}, token=ta)
    assert status == 201
    [bo_post] = publish(client, easel_app, bo)
    follow(client, ada, bo)
    follow(client, bo, ada)
    assert call(client, "POST", f"/v1/posts/{bo_post}/like", token=ta)[0] == 200
    assert call(client, "POST", f"/v1/posts/{ada_post}/like", token=tb)[0] == 200
    assert call(client, "POST", f"/v1/posts/{bo_post}/comments", {"text": "lovely"}, token=ta)[0] == 201
    assert call(client, "POST", f"/v1/posts/{ada_post}/comments", {"text": "thanks!"}, token=tb)[0] == 201
    assert call(client, "POST", f"/v1/posts/{bo_post}/repost", token=ta)[0] == 200
    assert call(client, "POST", f"/v1/users/{cy['handle']}/block", token=ta)[0] == 200
    status, body, _ = call(client, "POST", f"/v1/posts/{bo_post}/report",
                           {"reason": "harassment", "details": "Ada's own words"}, token=ta)
    assert status in (200, 201, 202), body
    assert call(client, "POST", f"/v1/users/{ada['handle']}/mute", token=cy["access_token"])[0] == 200
    status, coll, _ = call(client, "POST", "/v1/collections", {"title": "Inks"}, token=ta)
    assert status == 201
    status, job, _ = call(client, "POST", "/v1/jobs", {
        "title": "Colourist", "organisation": "Ada Studio", "location": "Lyon", "remote": True,
        "employment_type": "contract", "description": "Flat colours.", "apply_url": "https://ada.example/jobs",
        "tags": ["comics"], "closes_at": (date.today() + timedelta(days=30)).isoformat()}, token=ta)
    assert status == 201, job
    status, conv, _ = call(client, "POST", "/v1/conversations", {"handle": bo["handle"]}, token=ta)
    assert status in (200, 201), conv
    assert call(client, "POST", f"/v1/conversations/{conv['id']}/messages", {"text": "hello Bo"}, token=ta)[0] == 201
    assert call(client, "POST", f"/v1/conversations/{conv['id']}/messages", {"text": "hi Ada"}, token=tb)[0] == 201
    drain(easel_app.handle_uploads)  # the repost fan-out
    assert _objects(os.environ["MEDIA_BUCKET"], f"p/{ada_post}/")

    # The request: the password is required and checked.
    status, body, _ = call(client, "DELETE", "/v1/me", {}, token=ta)
    assert status == 400 and body["error"]["field"] == "password"
    status, body, _ = call(client, "DELETE", "/v1/me", {"password": "not the password"}, token=ta)
    assert status == 403 and body["error"]["code"] == "wrong_password"
    status, body, _ = call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=ta)
    assert status == 202 and body["status"] == "erasure_scheduled", body
    assert body["handle_released_at"] > body["requested_at"]

    # At once, before the job ran: gone for everyone, no way back in.
    assert call(client, "GET", f"/v1/users/{ada['handle']}")[0] == 404
    assert call(client, "GET", "/v1/me", token=ta)[0] == 404
    status, body, _ = call(client, "POST", "/v1/auth/login", {"handle": ada["handle"], "password": PASSWORD})
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    assert call(client, "POST", "/v1/auth/refresh", {"refresh_token": ada["refresh_token"]})[0] == 401
    assert call(client, "POST", f"/v1/users/{ada['handle']}/follow", token=cy["access_token"])[0] == 404

    drain(easel_app.handle_uploads)  # pass 1
    assert _final_pass(ada["id"]) == "erasure_done"
    assert _final_pass(ada["id"]) == "skipped:done"  # a redelivered final pass does nothing

    # Bo's side: counters put right, Ada's comment and like gone, Bo's own messages kept.
    status, me, _ = call(client, "GET", "/v1/me", token=tb)
    assert me["followers_count"] == 0 and me["following_count"] == 0
    status, post, _ = call(client, "GET", f"/v1/posts/{bo_post}", token=tb)
    assert (post["likes_count"], post["comments_count"], post["reposts_count"]) == (0, 0, 0)
    assert call(client, "GET", f"/v1/posts/{bo_post}/comments")[1]["items"] == []
    assert call(client, "GET", f"/v1/posts/{ada_post}")[0] == 404
    status, msgs, _ = call(client, "GET", f"/v1/conversations/{conv['id']}/messages", token=tb)
    assert status == 200 and [m["text"] for m in msgs["items"]] == ["hi Ada"]
    status, body, _ = call(client, "POST", f"/v1/conversations/{conv['id']}/messages", {"text": "?"}, token=tb)
    assert status == 410 and body["error"]["code"] == "account_deleted"
    status, inbox, _ = call(client, "GET", "/v1/conversations", token=tb)
    row = next(r for r in inbox["items"] if r["id"] == conv["id"])
    assert row["with"]["handle"] == "deleted-account"
    # Media and originals are gone from both buckets.
    assert _objects(os.environ["MEDIA_BUCKET"], f"p/{ada_post}/") == []
    assert _objects(os.environ["UPLOADS_BUCKET"], f"uploads/{ada['id']}/") == []

    # The handle is held; the e-mail address may sign up again at once.
    handle_body = {"handle": ada["handle"], "email": f"new-{ada['handle']}@example.com", "password": PASSWORD}
    status, body, _ = call(client, "POST", "/v1/auth/signup", handle_body)
    assert status == 409 and body["error"]["code"] == "handle_taken"
    status, body, _ = call(client, "POST", "/v1/auth/signup", {
        "handle": unique_handle(), "email": f"{ada['handle']}@example.com", "password": PASSWORD})
    assert status == 201, body

    # What is left that names Ada (docs/identity.md, "Account erasure"): her erasure record and
    # handle tombstone; other people's items — Bo's copy of their conversation (its id is made
    # of both account ids), Bo's notifications of her actions and feed entries of her repost
    # (both expire, and read without her), Cy's mute of her; and rows that expire by TTL: the
    # raw usage meter (8 days), the daily upload quota counter, the e-mail verification token (48 h).
    _assert_only_kept_items(ada["id"])
    record = [i for i in _items_mentioning(ada["id"]) if i["pk"]["S"].startswith("ERASURE#")][0]
    assert record["status"]["S"] == "done" and "completed_at" in record
    counts = json.loads(record["counts"]["S"])
    assert counts["posts"] == 2 and counts["likes"] == 1 and counts["comments"] == 1
    assert counts["following"] == 1 and counts["followers"] == 1 and counts["account"] == 1
    assert pending["post"]["id"] not in json.dumps(_ddb().scan(TableName=os.environ.get("TABLE_NAME", "easel-dev"))["Items"])

    # After the grace period the handle can be claimed by someone new (time is moved by
    # rewriting the tombstone's release time: the condition compares against the clock).
    from chalicelib.adapters.tables import HandleItem

    HandleItem(*HandleItem.key(ada["handle"])).update(actions=[HandleItem.released_after.set(int(time.time()) - 1)])
    status, body, _ = call(client, "POST", "/v1/auth/signup", handle_body)
    assert status == 201, body
    assert body["user"]["id"] != ada["id"]
    assert call(client, "GET", f"/v1/users/{ada['handle']}")[1]["id"] == body["user"]["id"]


def test_what_a_still_valid_access_token_writes_is_caught_by_the_final_pass(client, easel_app):
    ada, bo = signup(client), signup(client)
    [bo_post] = publish(client, easel_app, bo)
    assert call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=ada["access_token"])[0] == 202
    drain(easel_app.handle_uploads)  # pass 1
    # The access token lives on for up to 15 minutes (stateless): it can still comment and
    # create a post. The final pass, scheduled after that lifetime, removes both.
    assert call(client, "POST", f"/v1/posts/{bo_post}/comments", {"text": "late"}, token=ada["access_token"])[0] == 201
    status, late, _ = call(client, "POST", "/v1/posts", {"title": "Late", "content_type": "image/png",
                                                         "content_length": 10}, token=ada["access_token"])
    assert status == 201
    assert call(client, "GET", f"/v1/posts/{bo_post}", token=bo["access_token"])[1]["comments_count"] == 1
    assert _final_pass(ada["id"]) == "erasure_done"
    assert call(client, "GET", f"/v1/posts/{bo_post}", token=bo["access_token"])[1]["comments_count"] == 0
    assert call(client, "GET", f"/v1/posts/{bo_post}/comments")[1]["items"] == []
    _assert_only_kept_items(ada["id"])
    # Her late post's presigned upload still works for its 15 minutes; the handler, finding no
    # post, deletes the object instead of leaving it behind.
    from tests.helpers import post_upload

    assert post_upload(late["upload"], b"0123456789").status_code in (200, 204)
    drain(easel_app.handle_uploads)
    assert _objects(os.environ["UPLOADS_BUCKET"], f"uploads/{ada['id']}/") == []


def test_a_forged_or_repeated_job_erases_nothing_more(client, easel_app):
    from chalicelib import container

    bo = signup(client)
    erasure = container.erasure()
    # Nobody asked: a message alone cannot erase an account.
    assert erasure.handle_job({"type": "erase_account", "user_id": bo["id"], "pass": 1}) == "skipped:no_request"
    assert erasure.handle_job({"type": "erase_account", "user_id": 42}) == "skipped:malformed"
    assert erasure.handle_job({"type": "something_else"}) is None
    # (a malformed repost job used to crash its log call: `message=` is reserved by logging)
    assert container.interactions().handle_job({"type": "repost_fanout", "user_id": 5}) == "skipped:malformed"
    assert call(client, "GET", "/v1/me", token=bo["access_token"])[0] == 200


def test_a_small_time_budget_continues_across_invocations(client, easel_app):
    """Each invocation stops when its budget is spent (after some progress) and re-enqueues
    itself; the erasure still completes."""
    import dataclasses

    from chalicelib import container
    from chalicelib.services.erasure import ErasureService

    ada = signup(client)
    publish(client, easel_app, ada, count=2)
    followers = [signup(client) for _ in range(3)]
    for f in followers:
        follow(client, f, ada)
    assert call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=ada["access_token"])[0] == 202
    base = container.erasure()
    ticks = iter(range(10_000))
    slow = ErasureService(base.repo, base.accounts, base.queue, base.media, base.cdn,
                          dataclasses.replace(base.settings, job_budget_s=0),
                          monotonic=lambda: float(next(ticks)))
    results = []
    message = {"type": "erase_account", "user_id": ada["id"], "pass": 2}
    for _ in range(60):
        results.append(slow.handle_job(message))
        if results[-1] == "erasure_done":
            break
    assert results[-1] == "erasure_done" and results.count("erasure_continued") >= 3, results
    for f in followers:
        assert call(client, "GET", "/v1/me", token=f["access_token"])[1]["following_count"] == 0
    drain(easel_app.handle_uploads)  # the continuation and pass-1 messages left on the queue: no-ops
    assert call(client, "GET", f"/v1/users/{ada['handle']}")[0] == 404


def test_final_pass_is_delayed_by_the_token_lifetime(client, easel_app):
    """Pass 1 schedules pass 2 with DelaySeconds = ERASURE_FINAL_PASS_DELAY_SECONDS (900 by
    default, the access-token lifetime); checked on a queue of its own."""
    import dataclasses

    from chalicelib import container
    from chalicelib.adapters.community_aws import EventQueue
    from chalicelib.services.erasure import ErasureService

    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    name = f"erasure-delay-{unique_handle()}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    ada = signup(client)
    assert call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=ada["access_token"])[0] == 202
    base = container.erasure()
    service = ErasureService(base.repo, base.accounts, EventQueue(name, url), base.media, base.cdn,
                             dataclasses.replace(base.settings, erasure_final_pass_delay_s=900))
    assert service.handle_job({"type": "erase_account", "user_id": ada["id"], "pass": 1}) == "erasure_pass_done"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs.get("ApproximateNumberOfMessagesDelayed") == "1", attrs
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


@pytest.mark.parametrize("payload", [None, "not json", {"password": 5}])
def test_delete_me_validates_the_body(client, payload):
    user = signup(client)
    status, body, _ = call(client, "DELETE", "/v1/me", payload, token=user["access_token"])
    assert status == 400 and body["error"]["code"] in ("validation_error", "invalid_request"), body
    assert call(client, "GET", "/v1/me", token=user["access_token"])[0] == 200
    assert call(client, "DELETE", "/v1/me", {"password": PASSWORD})[0] == 401
