"""The local runtime (`nodeplane-local`): template.yaml served on DynamoDB Local + moto, without Docker.

A development package: pyproject.toml installs it beside the layer, outside the layer's ContentUri, so `sam build`
never ships it, and nothing in the layer imports it (tests/unit/test_layer_contents.py, the import contracts).
Modules: template (SAM parsing, intrinsics), engines (DynamoDB Local, moto), provision (tables, queues, KMS keys),
issuer (local JWT issuer + authorizer checks), gateway (HTTP API v2 events), functions (warm containers),
workers (SQS pollers, schedules), cron, openapi, server, runtime, admin (the command registry) and admin_network
(the inference network's admin commands).
"""
