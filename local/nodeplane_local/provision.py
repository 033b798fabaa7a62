"""Create the template's tables, queues and KMS keys on the local engines (idempotent: run at every start).

The tests and benches create their resources through the same functions (nodeplane_local/harness/aws.py), each
run under its own prefix.

KMS: moto keeps no state across restarts and cannot import key material (no ImportKeyMaterial for symmetric
keys), yet secrets encrypted before a restart must stay decryptable. moto's server runs in this process, so the
key is created through the API and then given back its recorded id and material inside moto's backend
(<data-dir>/kms/<Logical>.json). If moto's internals ever change shape, the runtime says so loudly and continues
with a fresh key (old secrets then no longer decrypt) rather than refusing to start.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

import boto3

from nodeplane_local.template import ACCOUNT_ID, REGION, STACK_NAME, Physical, Template, physical_ids

log = logging.getLogger("nodeplane_local")


def client(service: str, endpoint: str, **kwargs: Any) -> Any:
    """A client of a local engine; ``kwargs`` (e.g. a botocore ``config``) go to boto3."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        **kwargs,
    )


def provision(
    template: Template,
    *,
    ddb: Any,
    sqs: Any,
    kms: Any,
    prefix: str = STACK_NAME,
    data_dir: Path | None = None,
) -> dict[str, Physical]:
    """Every KMS key, table, queue and alias of the template, on the engines the clients point at.

    Returns logical id -> physical resource. `data_dir` keeps each KMS key's material across restarts (None: fresh
    keys, nothing recorded).
    """
    keys = create_keys(kms, template, data_dir)
    physical = physical_ids(template, sqs.meta.endpoint_url, keys, prefix)
    create_tables(ddb, template, physical)
    create_queues(sqs, template, physical)
    create_aliases(kms, template, physical)
    return physical


def create_tables(ddb: Any, template: Template, physical: dict[str, Physical]) -> list[str]:
    """CreateTable from the template's own properties, so local and AWS cannot drift; existing tables are kept."""
    created = []
    for logical in template.tables:
        name = physical[logical].ref
        if create_table(ddb, template, logical, name):
            created.append(name)
    return created


def create_table(ddb: Any, template: Template, logical: str, name: str) -> bool:
    """The template's table ``logical`` under ``name``; False if it exists already (it is kept as it is)."""
    props = template.tables[logical]
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            {k: v for k, v in gsi.items() if k != "ProvisionedThroughput"} for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    created = True
    try:
        ddb.create_table(**kwargs)
    except ddb.exceptions.ResourceInUseException:
        created = False  # kept on disk from an earlier start
    else:
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            ddb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
    return created


_QUEUE_ATTRIBUTES = {
    "VisibilityTimeout": "VisibilityTimeout",
    "MessageRetentionPeriod": "MessageRetentionPeriod",
    "DelaySeconds": "DelaySeconds",
    "MaximumMessageSize": "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "FifoQueue": "FifoQueue",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
}


def create_queues(sqs: Any, template: Template, physical: dict[str, Physical]) -> None:
    # dead-letter queues first, so the redrive policies can point at them
    order = sorted(template.queues, key=lambda q: "RedrivePolicy" in template.queues[q])
    for logical in order:
        props = template.queues[logical]
        attrs: dict[str, str] = {}
        for prop, attr in _QUEUE_ATTRIBUTES.items():
            if prop in props:
                value = props[prop]
                attrs[attr] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]
            if not (isinstance(target, dict) and "Fn::GetAtt" in target):
                raise ValueError(f"{logical}: deadLetterTargetArn must be !GetAtt <Queue>.Arn")
            dlq = target["Fn::GetAtt"][0]
            attrs["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": physical[dlq].attrs["Arn"], "maxReceiveCount": int(redrive["maxReceiveCount"])}
            )
        sqs.create_queue(QueueName=physical[logical].attrs["QueueName"], Attributes=attrs)


def _kms_backend() -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[ACCOUNT_ID][REGION]


def create_keys(kms: Any, template: Template, data_dir: Path | None) -> dict[str, str]:
    """Create each KMS key (with its recorded id and material, given a data dir); returns logical id -> key id."""
    ids: dict[str, str] = {}
    for logical, props in template.keys.items():
        spec = str(props.get("KeySpec", "SYMMETRIC_DEFAULT"))
        usage = str(props.get("KeyUsage", "ENCRYPT_DECRYPT"))
        key_id = kms.create_key(Description=f"nodeplane local {logical}", KeySpec=spec, KeyUsage=usage)["KeyMetadata"][
            "KeyId"
        ]
        if data_dir is None:
            ids[logical] = key_id
            continue
        try:
            key_id = _restore_or_record(key_id, data_dir / "kms" / f"{logical}.json")
        except (AttributeError, KeyError, TypeError) as exc:
            log.warning(
                "KMS: could not restore %s's key material into moto (%s); using a fresh key, so secrets "
                "encrypted before this start will not decrypt",
                logical,
                exc,
            )
        ids[logical] = key_id
    return ids


def _restore_or_record(key_id: str, record: Path) -> str:
    backend = _kms_backend()
    key = backend.keys[key_id]
    if not record.exists():
        record.parent.mkdir(parents=True, exist_ok=True)
        saved = {
            "key_id": key.id,
            "key_material": base64.b64encode(key.key_material).decode(),
            "note": "local only: lets moto decrypt secrets encrypted before a restart",
        }
        record.write_text(json.dumps(saved, indent=2))
        os.chmod(record, 0o600)
        return str(key.id)
    saved = json.loads(record.read_text())
    old_id = str(saved["key_id"])
    if old_id != key_id:
        del backend.keys[key_id]
        key.id = old_id
        key.arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{old_id}"
        backend.keys[old_id] = key
    key.key_material = base64.b64decode(saved["key_material"])
    return old_id


def create_aliases(kms: Any, template: Template, physical: dict[str, Physical]) -> None:
    for props in template.aliases.values():
        target = props["TargetKeyId"]
        if not (isinstance(target, dict) and "Ref" in target and target["Ref"] in physical):
            raise ValueError("AWS::KMS::Alias TargetKeyId must be !Ref <Key>")
        name, key_id = str(props["AliasName"]), physical[target["Ref"]].ref
        try:
            kms.create_alias(AliasName=name, TargetKeyId=key_id)
        except kms.exceptions.AlreadyExistsException:
            kms.update_alias(AliasName=name, TargetKeyId=key_id)  # a shared engine: the latest key wins
