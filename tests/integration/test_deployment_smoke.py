"""Deployment smoke test: template.yaml, translated to CloudFormation by the SAM translator the SAM CLI uses
(scripts/translate_template.py, offline), is created as a stack in moto's CloudFormation; every function, table,
index, queue, redrive policy, SQS trigger, schedule, alarm and the dashboard is then read back from the services
and compared with what template.yaml declares.

moto cannot create some types (``MOTO_CANNOT_CREATE``) and accepts some settings without applying them
(``MOTO_IGNORES``): those are checked in the translated template instead, and alarms are also put into moto's
CloudWatch with their references resolved against the stack, so each names a resource the stack really created.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import make_observability  # noqa: E402

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
BUCKET = "nodeplane-artifacts"
STACK = "nodeplane-smoke"
REGION = "us-east-1"
MOTO_CANNOT_CREATE = {"AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::CloudWatch::Alarm"}
MOTO_IGNORES = {
    "AWS::Lambda::Function": ("Layers", "LoggingConfig", "TracingConfig"),
    "AWS::DynamoDB::Table": ("TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"),
}

pytestmark = pytest.mark.xdist_group("deployment-smoke")


def _sam() -> dict[str, Any]:
    return make_observability.load((ROOT / "template.yaml").read_text())


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return _sam()


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    if not SAM_PYTHON.exists():
        pytest.fail("the SAM translator's virtualenv is missing: run `make deps` (it makes .venv-sam)")
    out = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "scripts" / "translate_template.py"), "--bucket", BUCKET],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


class Stack:
    def __init__(self, translated: dict[str, Any], topic: str, skipped: set[str]) -> None:
        self.translated = translated
        self.topic = topic
        self.skipped = skipped  # resource types moto's CloudFormation warned it cannot create
        cfn = boto3.client("cloudformation", region_name=REGION)
        self.status = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
        summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r["LogicalResourceId"]}
        self.parameters = {"AlarmTopicArn": topic, "TracingEnabled": "true", "MetricsNamespace": "nodeplane"}

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.translated["Resources"].items() if v["Type"] == kind}

    def queue_arn(self, logical: str) -> str:
        url = self.physical[logical]
        attrs = self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return str(attrs["QueueArn"])

    def resolve(self, value: Any) -> Any:
        """CloudFormation's intrinsics in ``value``, with this stack's parameters and physical ids."""
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}
        ((fn, arg),) = value.items()
        if fn == "Ref":
            pseudo = {"AWS::StackName": STACK, "AWS::Region": REGION, "AWS::NoValue": _NO_VALUE}
            if arg in pseudo:
                return pseudo[arg]
            return self.parameters.get(arg, self.physical.get(arg) or f"<{arg}>")
        if fn == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            if attribute == "QueueName":
                return self.physical[logical].rsplit("/", 1)[-1]
            if attribute == "Arn" and self.translated["Resources"][logical]["Type"] == "AWS::SQS::Queue":
                return self.queue_arn(logical)
            raise AssertionError(f"unexpected GetAtt {arg}")
        if fn == "Fn::If":
            condition, yes, no = arg
            return self.resolve(yes if self.condition(condition) else no)
        if fn == "Fn::Sub":
            text = arg
            for name in ("AWS::StackName", "AWS::Region"):
                text = text.replace("${" + name + "}", self.resolve({"Ref": name}))
            return text
        if fn == "Fn::Not":
            return not self.resolve(arg[0])
        if fn == "Fn::Equals":
            return self.resolve(arg[0]) == self.resolve(arg[1])
        if fn == "Condition":
            return self.condition(arg)
        return {fn: self.resolve(arg)}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.translated["Conditions"][name]))


_NO_VALUE = object()


def _artifacts(translated: dict[str, Any]) -> None:
    """Upload each function's and the layer's folder, zipped, where `sam package` would have put it."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for resource in translated["Resources"].values():
        location = resource["Properties"].get("Code") or resource["Properties"].get("Content")
        if not location:
            continue
        folder = ROOT / location["S3Key"].removesuffix(".zip")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted(folder.rglob("*.py")):
                archive.write(path, path.relative_to(folder))
        s3.put_object(Bucket=BUCKET, Key=location["S3Key"], Body=buffer.getvalue())


@pytest.fixture(scope="module")
def stack(translated: dict[str, Any]) -> Iterator[Stack]:
    from moto import mock_aws

    with mock_aws():
        _artifacts(translated)
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="nodeplane-alarms")["TopicArn"]
        parameters = {"AlarmTopicArn": topic, "TracingEnabled": "true"}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            boto3.client("cloudformation", region_name=REGION).create_stack(
                StackName=STACK,
                TemplateBody=json.dumps(translated),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                Capabilities=["CAPABILITY_IAM"],
            )
        skipped = {
            str(w.message).split("parse ", 1)[1].split(" but", 1)[0]
            for w in caught
            if "not supported by moto's CloudFormation" in str(w.message)
        }
        yield Stack(translated, topic, skipped)


def _events(sam: dict[str, Any], kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for logical, res in sam["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            for name, event in (res["Properties"].get("Events") or {}).items():
                if event["Type"] == kind:
                    yield logical, name, event["Properties"]


def test_the_stack_is_created_and_only_the_named_types_are_left_to_the_template(stack: Stack) -> None:
    assert stack.status == "CREATE_COMPLETE"
    assert stack.skipped == MOTO_CANNOT_CREATE


def test_every_function_runs_with_its_declared_settings(sam: dict[str, Any], stack: Stack) -> None:
    lam = stack.client("lambda")
    glob = sam["Globals"]["Function"]
    functions = [k for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == len(stack.resources("AWS::Lambda::Function")) >= 47
    for logical in functions:
        declared = {**glob, **sam["Resources"][logical]["Properties"]}
        config = lam.get_function_configuration(FunctionName=stack.physical[logical])
        assert config["Runtime"] == declared["Runtime"], logical
        assert config["Handler"] == declared["Handler"], logical
        assert config["Timeout"] == declared["Timeout"], logical
        assert config["MemorySize"] == declared["MemorySize"], logical
        assert config["Architectures"] == declared["Architectures"], logical
        env = config["Environment"]["Variables"]
        assert env["TABLE_NAME"] == stack.physical["NodeplaneTable"], logical
        assert env["SETTLEMENT_QUEUE_URL"] == stack.physical["SettlementQueue"], logical
        assert env["METRICS_NAMESPACE"] == "nodeplane", logical
        reserved = lam.get_function_concurrency(FunctionName=stack.physical[logical]).get(
            "ReservedConcurrentExecutions"
        )
        assert reserved == declared.get("ReservedConcurrentExecutions"), logical
        # accepted but not applied by moto (MOTO_IGNORES): read from the translated template
        props = stack.translated["Resources"][logical]["Properties"]
        assert props["Layers"] == [{"Ref": next(iter(stack.resources("AWS::Lambda::LayerVersion")))}], logical
        assert props["LoggingConfig"]["LogFormat"] == "JSON", logical
        assert stack.resolve(props["TracingConfig"]) == {"Mode": "Active"}, logical  # TracingEnabled=true
        role = stack.translated["Resources"][f"{logical}Role"]["Properties"]
        assert "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess" in role["ManagedPolicyArns"], logical


def test_every_table_and_index_exists_with_its_keys(sam: dict[str, Any], stack: Stack) -> None:
    ddb = stack.client("dynamodb")
    tables = {k: v["Properties"] for k, v in sam["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert set(tables) == {"NodeplaneTable", "IdempotencyTable", "LedgerTable"}
    for logical, declared in tables.items():
        table = ddb.describe_table(TableName=stack.physical[logical])["Table"]
        assert table["KeySchema"] == declared["KeySchema"], logical
        assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"], logical
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {i["IndexName"] for i in declared.get("GlobalSecondaryIndexes", [])}, logical
        for index in declared.get("GlobalSecondaryIndexes", []):
            assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"], (logical, index["IndexName"])
            assert indexes[index["IndexName"]]["Projection"] == index["Projection"], (logical, index["IndexName"])
        props = stack.translated["Resources"][logical]["Properties"]
        for setting in MOTO_IGNORES["AWS::DynamoDB::Table"]:
            assert props.get(setting) == declared.get(setting), (logical, setting)
    assert tables["NodeplaneTable"]["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_every_queue_and_redrive_policy(sam: dict[str, Any], stack: Stack) -> None:
    sqs = stack.client("sqs")
    queues = {k: v.get("Properties") or {} for k, v in sam["Resources"].items() if v["Type"] == "AWS::SQS::Queue"}
    dlqs = make_observability.dead_letter_queues(sam)
    assert dlqs and set(dlqs) < set(queues)
    for logical, declared in queues.items():
        attrs = sqs.get_queue_attributes(QueueUrl=stack.physical[logical], AttributeNames=["All"])["Attributes"]
        for key in ("VisibilityTimeout", "MessageRetentionPeriod"):
            if key in declared:
                assert int(attrs[key]) == declared[key], (logical, key)
        redrive = declared.get("RedrivePolicy")
        if redrive:
            policy = json.loads(attrs["RedrivePolicy"])
            dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"].split(".")[0]
            assert policy["deadLetterTargetArn"] == stack.queue_arn(dlq), logical
            assert int(policy["maxReceiveCount"]) == redrive["maxReceiveCount"], logical


def test_every_queue_trigger(sam: dict[str, Any], stack: Stack) -> None:
    mappings = stack.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    triggers = list(_events(sam, "SQS"))
    assert len(triggers) == len(mappings) >= 2
    for logical, name, declared in triggers:
        function_arn = stack.client("lambda").get_function(FunctionName=stack.physical[logical])["Configuration"]
        (mapping,) = [m for m in mappings if m["FunctionArn"] == function_arn["FunctionArn"]]
        queue = declared["Queue"]["Fn::GetAtt"].split(".")[0]
        assert mapping["EventSourceArn"] == stack.queue_arn(queue), name
        assert mapping["BatchSize"] == declared["BatchSize"], name
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        window = declared.get("MaximumBatchingWindowInSeconds")
        assert mapping.get("MaximumBatchingWindowInSeconds", window) == window, name


def test_every_schedule_targets_its_function(sam: dict[str, Any], stack: Stack) -> None:
    events = stack.client("events")
    rules = {r["Name"]: r for r in events.list_rules()["Rules"]}
    schedules = list(_events(sam, "Schedule"))
    assert len(schedules) == len(rules) >= 5
    for logical, name, declared in schedules:
        rule = rules[stack.physical[f"{logical}{name}"]]
        assert rule["ScheduleExpression"] == declared["Schedule"], logical
        assert rule["State"] == "ENABLED", logical
        (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        arn = stack.client("lambda").get_function(FunctionName=stack.physical[logical])["Configuration"]["FunctionArn"]
        assert target["Arn"] == arn, logical


def test_every_route_of_the_http_api(sam: dict[str, Any], stack: Stack) -> None:
    """ApiGatewayV2 is in MOTO_CANNOT_CREATE: the routes are read from the API's translated OpenAPI body."""
    (api,) = stack.resources("AWS::ApiGatewayV2::Api").values()
    paths = api["Properties"]["Body"]["paths"]
    routes = list(_events(sam, "HttpApi"))
    assert len(routes) >= 40
    for logical, _, declared in routes:
        operation = paths[declared["Path"]][declared["Method"].lower()]
        uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        assert f"${{{logical}.Arn}}" in uri, logical
        public = (declared.get("Auth") or {}).get("Authorizer") == "NONE"
        assert operation["security"] == [{"NONE": []} if public else {"NodeplaneJwt": []}], logical
    authorizer = api["Properties"]["Body"]["components"]["securitySchemes"]["NodeplaneJwt"]
    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "jwt"
    (stage,) = stack.resources("AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] == 100


@pytest.fixture(scope="module")
def alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    """AWS::CloudWatch::Alarm is in MOTO_CANNOT_CREATE: each is put into moto's CloudWatch, resolved on the stack."""
    cloudwatch = stack.client("cloudwatch")
    for props in stack.resources("AWS::CloudWatch::Alarm").values():
        cloudwatch.put_metric_alarm(**stack.resolve(props["Properties"]))
    described = cloudwatch.describe_alarms(MaxRecords=100)
    found = described["MetricAlarms"]
    while described.get("NextToken"):
        described = cloudwatch.describe_alarms(MaxRecords=100, NextToken=described["NextToken"])
        found += described["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def _dimensions(alarm: dict[str, Any]) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def test_every_function_has_an_errors_and_a_throttles_alarm(sam: dict[str, Any], stack: Stack, alarms: dict) -> None:
    for logical in make_observability.functions(sam):
        for metric in ("Errors", "Throttles"):
            alarm = alarms[f"{STACK}-{logical}-{metric.lower()}"]
            assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
            assert _dimensions(alarm) == {"FunctionName": stack.physical[logical]}
            assert alarm["AlarmActions"] == alarm["OKActions"] == [stack.topic]


def test_any_message_in_any_dead_letter_queue_is_an_alarm(sam: dict[str, Any], stack: Stack, alarms: dict) -> None:
    for queue in make_observability.dead_letter_queues(sam):
        alarm = alarms[f"{STACK}-{queue}-messages"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert _dimensions(alarm) == {"QueueName": stack.physical[queue].rsplit("/", 1)[-1]}
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [stack.topic]


def test_rate_and_backlog_alarms_watch_the_agreed_metrics(stack: Stack, alarms: dict) -> None:
    for api in ("v1", "proxy", "daemon"):
        alarm = alarms[f"{STACK}-{api}-api-5xx-rate"]
        stats = {m["Id"]: m.get("MetricStat", {}).get("Metric") for m in alarm["Metrics"]}
        assert stats["errors"]["MetricName"] == "ServerErrors" and stats["requests"]["MetricName"] == "Requests"
        assert stats["errors"]["Namespace"] == "nodeplane" and _dimensions(stats["errors"]) == {"Api": api}
    http = {m["Id"]: m.get("MetricStat", {}).get("Metric") for m in alarms[f"{STACK}-http-api-5xx-rate"]["Metrics"]}
    assert (http["errors"]["Namespace"], http["errors"]["MetricName"]) == ("AWS/ApiGateway", "5xx")
    gauges = {
        "settlement-backlog-age": "SettlementBacklogAgeSeconds",
        "lock-sweeper-lag": "LockSweeperLagSeconds",
        "purchase-intent-age": "PurchaseIntentOldestAgeSeconds",
    }
    for name, metric in gauges.items():
        alarm = alarms[f"{STACK}-{name}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("nodeplane", metric, "Maximum")
        assert alarm["AlarmActions"] == [stack.topic]


def test_without_a_topic_alarms_notify_no_one(stack: Stack) -> None:
    stack.parameters["AlarmTopicArn"] = ""
    try:
        for props in stack.resources("AWS::CloudWatch::Alarm").values():
            resolved = stack.resolve(props["Properties"])
            assert "AlarmActions" not in resolved and "OKActions" not in resolved
    finally:
        stack.parameters["AlarmTopicArn"] = stack.topic


def test_the_dashboard_shows_every_alarm_and_dead_letter_queue(sam: dict[str, Any], stack: Stack, alarms: dict) -> None:
    cloudwatch = stack.client("cloudwatch")
    body = json.loads(cloudwatch.get_dashboard(DashboardName=f"{STACK}-operations")["DashboardBody"])
    shown = {arn for w in body["widgets"] if w["type"] == "alarm" for arn in w["properties"]["alarms"]}
    assert shown == {a["AlarmArn"] for a in alarms.values()}
    titles = {w["properties"]["title"] for w in body["widgets"]}
    for topic in (
        "Route requests",
        "Route 5xx",
        "Locks",
        "Purchases",
        "Settlements by outcome",
        "Discoveries by outcome",
    ):
        assert topic in titles
    (dlq_widget,) = [w for w in body["widgets"] if w["properties"]["title"] == "Dead-letter queues: messages"]
    queues = {m[3] for m in dlq_widget["properties"]["metrics"]}
    assert queues == {stack.physical[q].rsplit("/", 1)[-1] for q in make_observability.dead_letter_queues(sam)}
