"""Create the template's tables, queues and KMS key on a test engine (moto or DynamoDB Local)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)


def create_tables(ddb: Any, prefix: str | None = None) -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of the template; returns logical id -> physical name."""
    prefix = prefix or f"t{uuid.uuid4().hex[:8]}"
    names = {}
    for logical, res in template()["Resources"].items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        name = f"{prefix}-{logical}"
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        ddb.create_table(**kwargs)
        ddb.get_waiter("table_exists").wait(TableName=name)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        names[logical] = name
    return names


def create_queues(sqs: Any, prefix: str) -> dict[str, str]:
    urls: dict[str, str] = {}
    resources = template()["Resources"]
    queues = {k: v for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue"}
    # dead-letter queues first, so redrive policies can point at them
    for logical in sorted(queues, key=lambda k: "RedrivePolicy" in (queues[k].get("Properties") or {})):
        props = dict(queues[logical].get("Properties") or {})
        attrs: dict[str, str] = {}
        if "VisibilityTimeout" in props:
            attrs["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
            dlq = target.split(".")[0] if isinstance(target, str) else target[0]
            arn = sqs.get_queue_attributes(QueueUrl=urls[dlq], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attrs["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": str(redrive["maxReceiveCount"])}
            )
        urls[logical] = sqs.create_queue(QueueName=f"{prefix}-{logical}", Attributes=attrs)["QueueUrl"]
    return urls


def environment(ddb: Any, sqs: Any, kms: Any) -> dict[str, str]:
    """Resources for one test run and the env vars the functions read."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    tables = create_tables(ddb, prefix)
    queues = create_queues(sqs, prefix)
    key_id = kms.create_key(Description="nodeplane tests")["KeyMetadata"]["KeyId"]
    return {
        "TABLE_NAME": tables["NodeplaneTable"],
        "IDEMPOTENCY_TABLE_NAME": tables["IdempotencyTable"],
        "LEDGER_TABLE_NAME": tables["LedgerTable"],
        "DISCOVERY_QUEUE_URL": queues["DiscoveryQueue"],
        "DISCOVERY_DLQ_URL": queues["DiscoveryDlq"],
        "SETTLEMENT_QUEUE_URL": queues["SettlementQueue"],
        "SETTLEMENT_DLQ_URL": queues["SettlementDlq"],
        "KMS_KEY_ID": key_id,
    }
