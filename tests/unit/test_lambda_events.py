"""The SQS and schedule events the tests build have the shape Lambda delivers, as Powertools reads it."""

from __future__ import annotations

import hashlib
import json

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, SQSEvent

from nodeplane_local.harness.lambda_events import QUEUE_ARN, schedule_event, sqs_event


def test_sqs_event_records_carry_each_body_with_its_checksum() -> None:
    event = SQSEvent(sqs_event([{"kind": "discover_node"}, "not json"], queue_arn=QUEUE_ARN + "-2"))
    first, second = event.records
    assert json.loads(first.body) == {"kind": "discover_node"} and second.body == "not json"
    assert first.md5_of_body == hashlib.md5(first.body.encode()).hexdigest()
    assert first.message_id != second.message_id and first.receipt_handle != second.receipt_handle
    assert first.event_source == "aws:sqs" and first.event_source_arn == QUEUE_ARN + "-2"
    assert first.attributes.approximate_receive_count == "1" and first.aws_region == "us-east-1"


def test_schedule_event_is_the_scheduled_event_envelope_or_the_rules_input() -> None:
    event = EventBridgeEvent(schedule_event("nodeplane-sweeper"))
    assert (event.detail_type, event.source, event.detail) == ("Scheduled Event", "aws.events", {})
    assert event.resources == ["arn:aws:events:us-east-1:123456789012:rule/nodeplane-sweeper"]
    assert schedule_event(input={"kind": "sweep"}) == {"kind": "sweep"}
