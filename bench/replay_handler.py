"""The same-work baseline: a handler module that imports only boto3 and makes, with boto3 clients, exactly the
AWS calls a nodeplane handler made for the same event (recorded by _cold_probe.py --record, file in REPLAY_CALLS).

The ratio against it is what nodeplane's own layers (Powertools, pydantic, the domain code) add to a cold start
on top of the AWS work any implementation of that request has to do.
"""

import base64
import json
import os

import boto3

_clients: dict = {}


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def lambda_handler(event, context):
    with open(os.environ["REPLAY_CALLS"]) as f:
        calls = json.load(f)
    failed = 0
    for call in calls:
        if call["service"] not in _clients:
            client = boto3.client(call["service"])
            methods = {api: name for name, api in client.meta.method_to_api_mapping.items()}
            _clients[call["service"]] = (client, methods)
        client, methods = _clients[call["service"]]
        try:
            getattr(client, methods[call["operation"]])(**_decode(call["params"]))
        except client.exceptions.ClientError:
            failed += 1  # the handler saw the same refusal (a condition, a conflict)
    return {"statusCode": 200, "body": json.dumps({"calls": len(calls), "refused": failed})}
