"""SQS batch semantics, schedule events, warm containers and the admin command registry."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import pytest

from nodeplane_local import admin
from nodeplane_local.functions import Function
from nodeplane_local.template import FunctionSpec, ScheduleSource
from nodeplane_local.workers import failed_ids, scheduled_event, sqs_records

BATCH = [
    {"MessageId": "m1", "ReceiptHandle": "r1", "Body": '{"a":1}', "Attributes": {"ApproximateReceiveCount": "1"}},
    {
        "MessageId": "m2",
        "ReceiptHandle": "r2",
        "Body": "x",
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "job"}},
    },
]


def test_sqs_records_have_the_lambda_shape() -> None:
    event = sqs_records(BATCH, "arn:aws:sqs:us-east-1:123456789012:q")
    first, second = event["Records"]
    assert first["messageId"] == "m1" and first["receiptHandle"] == "r1" and first["body"] == '{"a":1}'
    assert first["eventSource"] == "aws:sqs" and first["eventSourceARN"].endswith(":q")
    assert first["attributes"] == {"ApproximateReceiveCount": "1"}
    assert second["messageAttributes"]["kind"]["stringValue"] == "job"
    assert second["messageAttributes"]["kind"]["dataType"] == "String"
    assert len(first["md5OfBody"]) == 32


@pytest.mark.parametrize(
    ("result", "report", "expected"),
    [
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, True, {"m2"}),
        ({"batchItemFailures": []}, True, set()),
        (None, True, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, False, set()),  # without ReportBatchItemFailures
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, True, {"m1", "m2"}),  # malformed: all fail
    ],
)
def test_failed_ids_follow_report_batch_item_failures(result: object, report: bool, expected: set[str]) -> None:
    assert failed_ids(result, report, BATCH) == expected


def test_scheduled_event_envelope_or_input() -> None:
    envelope = scheduled_event(ScheduleSource("Fn", "Tick", "rate(1 minute)", None))
    assert envelope["detail-type"] == "Scheduled Event" and envelope["source"] == "aws.events"
    assert envelope["detail"] == {} and envelope["resources"][0].endswith("rule/nodeplane-Fn-Tick")
    assert scheduled_event(ScheduleSource("Fn", "Tick", "rate(1 minute)", '{"a": [1]}')) == {"a": [1]}


def _function(tmp_path: Path, body: str) -> Function:
    (tmp_path / "app.py").write_text(body)
    spec = FunctionSpec("Fn", tmp_path, "app.lambda_handler", timeout=7, memory=256, environment={}, layers=[])
    return Function(spec)


def test_concurrent_invocations_get_their_own_container(tmp_path: Path) -> None:
    fn = _function(
        tmp_path,
        "import threading\n"
        "barrier = None\n"
        "def lambda_handler(event, context):\n"
        "    event['barrier'].wait()\n"
        "    return id(lambda_handler)\n",
    )
    barrier = threading.Barrier(3)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(fn.invoke({"barrier": barrier}))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # three invocations were in flight at once (the barrier needs all three), each in its own module
    assert len(set(results)) == 3
    assert fn.cold_starts == 3
    fn.invoke({"barrier": threading.Barrier(1)})
    assert fn.cold_starts == 3  # a warm container is reused afterwards


def test_the_context_carries_name_memory_and_remaining_time(tmp_path: Path) -> None:
    fn = _function(
        tmp_path,
        "def lambda_handler(event, context):\n"
        "    return [context.function_name, context.memory_limit_in_mb, context.invoked_function_arn,\n"
        "            context.aws_request_id, context.get_remaining_time_in_millis()]\n",
    )
    name, memory, arn, request_id, remaining = fn.invoke({})
    assert name == "nodeplane-Fn" and memory == 256 and arn.endswith(":function:nodeplane-Fn")
    assert request_id
    assert 0 < remaining <= 7000


def test_admin_commands_register_once() -> None:
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--x")

    def run(ctx: admin.AdminContext, args: argparse.Namespace) -> int:
        return 0

    admin.register("test-cmd", "a test", configure, run)
    assert admin.commands()["test-cmd"].run is run
    assert "env" in admin.commands()
    with pytest.raises(ValueError, match="twice"):
        admin.register("test-cmd", "again", configure, lambda ctx, args: 1)


def test_the_network_admin_commands_come_with_the_registry() -> None:
    # imported by name in admin.commands(), not discovered: the CLI lists them without any plugin scan
    names = set(admin.commands())
    assert {"env", "create-task", "rotate-keys", "credit", "buy-stack", "advance-epoch", "resolve-dispute"} <= names
