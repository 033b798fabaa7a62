"""The local runtime (`nodeplane-local`): template.yaml served on DynamoDB Local + moto, without Docker.

Never imported by a function. Modules: template (SAM parsing, intrinsics), engines (DynamoDB Local, moto),
provision (tables, queues, KMS keys), issuer (local JWT issuer + authorizer checks), gateway (HTTP API v2
events), functions (warm containers), workers (SQS pollers, schedules), cron, openapi, server, runtime, admin.
"""
