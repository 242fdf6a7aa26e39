"""The local event worker: long-polls the upload queue and calls the very handler function
Lambda runs (`app.handle_uploads`) with a Lambda-shaped SQS event, then deletes exactly the
messages the handler did not report in `batchItemFailures` — as the SQS event source mapping
does with ReportBatchItemFailures. Failed messages reappear after their visibility timeout and
go to the dead-letter queue after maxReceiveCount (moto applies the redrive policy)."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]


class FakeLambdaContext:
    def __init__(self, function_name: str, memory_mb: int = 2048, timeout_s: int = 60) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.function_version = "$LATEST"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def to_lambda_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": region} for m in messages]}


class Worker:
    def __init__(self, queue_url: str, handler: Any, *, batch_size: int = 5, wait_s: int = 1,
                 visibility_timeout_s: int | None = None) -> None:
        region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        self.sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), region_name=region)
        self.queue_url = queue_url
        self.region = region
        self.handler = handler
        self.batch_size = batch_size
        self.wait_s = wait_s
        self.visibility_timeout_s = visibility_timeout_s
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.stopping = threading.Event()
        self.handled = 0

    def poll_once(self) -> int:
        kwargs: dict[str, Any] = {"QueueUrl": self.queue_url, "MaxNumberOfMessages": self.batch_size,
                                  "WaitTimeSeconds": self.wait_s, "AttributeNames": ["All"]}
        if self.visibility_timeout_s is not None:
            kwargs["VisibilityTimeout"] = self.visibility_timeout_s
        messages = self.sqs.receive_message(**kwargs).get("Messages", [])
        if not messages:
            # Idle: write the meter's batched usage (Lambda has no idle hook; a deployed
            # container writes at METER_FLUSH_EVERY invocations or METER_FLUSH_MAX_AGE_S).
            from chalicelib import metering

            metering.flush()
            return 0
        event = to_lambda_event(messages, self.queue_arn, self.region)
        try:
            result = self.handler(event, FakeLambdaContext("easel-dev-handle_uploads")) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as exc:  # noqa: BLE001 - a crashed invocation retries the whole batch, like Lambda
            print(f"worker: handler raised {exc!r}; the batch will be retried", file=sys.stderr, flush=True)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        self.handled += len(messages)
        return len(messages)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # noqa: BLE001 - keep the worker alive across endpoint hiccups
                print(f"worker: poll failed: {exc!r}", file=sys.stderr, flush=True)
                time.sleep(1)


def scheduled_event(rule: str) -> dict[str, Any]:
    """What EventBridge delivers to a scheduled Lambda."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"], "detail": {}}


class ScheduleRunner:
    """Locally, EventBridge's part: calls every `@app.schedule` handler of the Chalice app
    (blueprints included) every `interval_s` seconds, whatever its production rate — locally
    one wants fresh results, not realistic cadence."""

    def __init__(self, chalice_app: Any, interval_s: float) -> None:
        from chalice.app import ScheduledEventConfig

        self.interval_s = interval_s
        self.handlers = [(cfg.name, chalice_app.handler_map[cfg.name]) for cfg in chalice_app.event_sources
                         if isinstance(cfg, ScheduledEventConfig)]
        self.runs = 0

    def run_once(self) -> None:
        for name, handler in self.handlers:
            try:
                handler(scheduled_event(name), FakeLambdaContext(f"easel-dev-{name}"))
            except Exception as exc:  # noqa: BLE001 - like Lambda: one failed run, the next one retries
                print(f"worker: scheduled {name} raised {exc!r}", file=sys.stderr, flush=True)
        self.runs += 1
        from chalicelib import metering

        metering.flush()  # idle until the next run: write the meter's batch (see poll_once)

    def run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            self.run_once()
            stopping.wait(self.interval_s)


def main() -> None:
    """Two roles, each its own process, as each is its own Lambda function in production: the
    queue's consumer (`handle_uploads`, one batch at a time) and, with `--schedules`,
    EventBridge's scheduled handlers. No handler ever runs on a second thread beside another
    (Chalice's app object holds per-invocation state, as Lambda allows: one event at a time)."""
    sys.path.insert(0, str(ROOT))
    from local.devserver import apply_stage_environment

    apply_stage_environment(os.environ.get("STAGE", "dev"))
    if os.environ.get("EASEL_AWS_CALL_LOG"):  # the e2e tests' IAM audit (local/iam_audit.py)
        from local import iam_audit

        iam_audit.install()
    import app as easel_app

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if "--schedules" in sys.argv[1:]:
        schedules = ScheduleRunner(easel_app.app, float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "15")))
        print(f"worker: running {len(schedules.handlers)} scheduled handler(s) every {schedules.interval_s:g}s",
              flush=True)
        schedules.run(stopping)
        return
    worker = Worker(os.environ["UPLOAD_QUEUE_URL"], easel_app.handle_uploads)
    worker.stopping = stopping
    print("worker: polling the upload queue", flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
