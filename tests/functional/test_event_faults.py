"""Faults in the upload pipeline (issue 14), over real HTTP: the fault proxy sits between the
code and the moto server. For each: what the user sees, and that nothing is lost or doubled.
(Duplicate events, a poison message inside a batch and vendor outages have their own tests in
test_posts_feed.py and test_cascade.py.)"""
from __future__ import annotations

import json
import os
from typing import Any, Iterator

import boto3
import pytest

from chalicelib.adapters.store import UserRepository
from local.worker import Worker, redrive
from tests.faultproxy import FaultProxy, dropped, latency, point_process_at, throttled
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain, signup


@pytest.fixture(scope="module")
def proxy(endpoint: str, easel_app: Any) -> Iterator[FaultProxy]:
    p = FaultProxy(endpoint).start()
    point_process_at(p.url)
    yield p
    point_process_at(endpoint)
    p.stop()


@pytest.fixture(autouse=True)
def _clean(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


def _status(client: Any, user: dict, post_id: str) -> str:
    status, post, _ = call(client, "GET", f"/v1/posts/{post_id}", token=user["access_token"])
    assert status == 200, post
    return post["status"]


def _queue_depth(url: str) -> int:
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                   "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())


def test_a_store_outage_sends_the_upload_to_the_dlq_and_a_redrive_publishes_it(client: Any, easel_app: Any,
                                                                             proxy: FaultProxy) -> None:
    """DynamoDB throttles every write for longer than SQS's five deliveries: the message ends in
    the dead-letter queue and the post says `processing` (nothing half-published). Once the store
    is back, a redrive (python -m local.admin redrive-dlq) publishes it exactly once."""
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(320, 200))
    for op in ("UpdateItem", "TransactWriteItems", "PutItem", "BatchWriteItem"):
        proxy.inject(op, throttled())
    w = Worker(os.environ["UPLOAD_QUEUE_URL"], easel_app.handle_uploads, wait_s=0, batch_size=10,
               visibility_timeout_s=0)
    for _ in range(8):  # five failed deliveries, then moto applies the redrive policy
        w.poll_once()
    proxy.clear()
    assert _queue_depth(os.environ["UPLOAD_QUEUE_URL"]) == 0
    assert _queue_depth(os.environ["UPLOAD_DLQ_URL"]) == 1
    # What the artist sees meanwhile: not yet screened (the claim itself could not be written).
    assert _status(client, artist, post_id) in ("awaiting_upload", "processing")
    assert redrive(os.environ["UPLOAD_DLQ_URL"], os.environ["UPLOAD_QUEUE_URL"]) == 1
    drain(easel_app.handle_uploads)
    assert _status(client, artist, post_id) == "published"
    assert UserRepository().get(artist["id"], consistent=True).posts_count == 1  # counted once


def test_a_poison_message_goes_to_the_dlq_without_holding_the_queue(client: Any, easel_app: Any) -> None:
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    sqs.send_message(QueueUrl=os.environ["UPLOAD_QUEUE_URL"], MessageBody="{not json")
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(300, 200))
    w = Worker(os.environ["UPLOAD_QUEUE_URL"], easel_app.handle_uploads, wait_s=0, batch_size=10,
               visibility_timeout_s=0)
    for _ in range(8):
        w.poll_once()
    assert _status(client, artist, post_id) == "published"  # the good message was not held up
    assert _queue_depth(os.environ["UPLOAD_DLQ_URL"]) == 1
    kept = sqs.receive_message(QueueUrl=os.environ["UPLOAD_DLQ_URL"], WaitTimeSeconds=0)["Messages"][0]
    assert kept["Body"] == "{not json"  # kept for a person to look at, not lost
    sqs.delete_message(QueueUrl=os.environ["UPLOAD_DLQ_URL"], ReceiptHandle=kept["ReceiptHandle"])


def test_slow_and_dropped_store_connections_still_end_in_one_final_state(client: Any, easel_app: Any,
                                                                        proxy: FaultProxy) -> None:
    """Latency on every DynamoDB read and a connection dropped before its answer on the first
    writes: botocore resends, the handler's steps are idempotent, the post ends published once."""
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(300, 200))
    proxy.inject("GetItem", latency(0.2))
    proxy.inject("Query", latency(0.2))
    proxy.inject("UpdateItem", dropped("before"), times=2)
    proxy.inject("PutItem", dropped("before"), times=2)
    drain(easel_app.handle_uploads)
    assert proxy.seen.get("UpdateItem", 0) >= 3
    assert _status(client, artist, post_id) == "published"
    assert UserRepository().get(artist["id"], consistent=True).posts_count == 1


def test_an_event_for_a_deleted_post_is_a_no_op(client: Any, easel_app: Any) -> None:
    """A delayed S3 event arriving after the artist deleted the post resurrects nothing."""
    artist = signup(client)
    dead_before = _queue_depth(os.environ["UPLOAD_DLQ_URL"])
    created = call(client, "POST", "/v1/posts", {"title": "t", "content_type": "image/jpeg",
                                                  "content_length": 10_000}, token=artist["access_token"])[1]
    post_id, key = created["post"]["id"], created["upload"]["fields"]["key"]
    assert call(client, "DELETE", f"/v1/posts/{post_id}", token=artist["access_token"])[0] in (200, 204)
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    sqs.send_message(QueueUrl=os.environ["UPLOAD_QUEUE_URL"], MessageBody=json.dumps({"Records": [
        {"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": os.environ["UPLOADS_BUCKET"]},
                                                   "object": {"key": key}}}]}))
    drain(easel_app.handle_uploads)
    assert _queue_depth(os.environ["UPLOAD_QUEUE_URL"]) == 0
    assert _queue_depth(os.environ["UPLOAD_DLQ_URL"]) == dead_before  # handled, not failed
    status, body, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert status in (404, 410) or body["status"] == "deleted", body
