"""The cold-start baseline: a handler module that imports only boto3 and reads one DynamoDB item."""

import os

import boto3

_client = None


def lambda_handler(event, context):
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    item = _client.get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "T#bench"}, "sk": {"S": "NODE#x"}})
    return {"statusCode": 200, "body": str(bool(item.get("Item")))}
