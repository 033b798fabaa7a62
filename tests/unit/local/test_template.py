"""Reading a SAM template: intrinsics, globals, events, the one process-wide environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeplane_local.template import (
    Physical,
    Resolver,
    TemplateError,
    load_yaml,
    parse_schedule,
    parse_template,
    physical_ids,
    process_environment,
)

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "integration" / "local" / "fixture" / "template.yaml"


def test_short_form_tags_become_long_form() -> None:
    doc = load_yaml("a: !Ref X\nb: !GetAtt Q.Arn\nc: !Sub '${AWS::Region}'\nd: !Join [',', [x, y]]\n")
    assert doc == {
        "a": {"Ref": "X"},
        "b": {"Fn::GetAtt": ["Q", "Arn"]},
        "c": {"Fn::Sub": "${AWS::Region}"},
        "d": {"Fn::Join": [",", ["x", "y"]]},
    }


def test_the_loader_leaves_yaml_safe_load_alone() -> None:
    import yaml

    load_yaml("a: !Ref X\n")
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("a: !Ref X\n")


TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/nodeplane-Table"


def resolver() -> Resolver:
    physical = {
        "Table": Physical("nodeplane-Table", {"Arn": TABLE_ARN}),
        "Queue": Physical("http://q/123/nodeplane-Queue", {"Arn": "arn:q", "QueueName": "nodeplane-Queue"}),
    }
    return Resolver({"Stage": "dev"}, physical)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Table"}, "nodeplane-Table"),
        ({"Ref": "Queue"}, "http://q/123/nodeplane-Queue"),
        ({"Fn::GetAtt": ["Queue", "QueueName"]}, "nodeplane-Queue"),
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        (
            {"Fn::Sub": "${AWS::Region}/${Stage}/${Table.Arn}"},
            "us-east-1/dev/arn:aws:dynamodb:us-east-1:123456789012:table/nodeplane-Table",
        ),
        ({"Fn::Sub": ["${X}-${Stage}", {"X": {"Ref": "Table"}}]}, "nodeplane-Table-dev"),
        ({"Fn::Sub": "literal ${!NotAVar}"}, "literal ${NotAVar}"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}, "a-dev"),
    ],
)
def test_intrinsics_resolve(value: object, expected: str) -> None:
    assert resolver().resolve(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::ImportValue": "x"},
        {"Fn::If": ["c", "a", "b"]},
        {"Ref": "Missing"},
        {"Fn::GetAtt": ["Table", "StreamArn"]},
        {"Fn::Sub": "${Nope}"},
    ],
)
def test_unknown_intrinsics_fail_loudly(value: object) -> None:
    with pytest.raises(TemplateError):
        resolver().resolve(value)


def test_fixture_template_functions_events_and_globals() -> None:
    template = parse_template(FIXTURE)
    echo = template.functions["EchoFunction"]
    assert echo.timeout == 10 and echo.memory == 256  # from Globals
    assert echo.handler == "app.lambda_handler"
    assert echo.layers == [{"Ref": "FixtureLayer"}]
    routes = {r.route_key: r for r in template.routes}
    assert routes["GET /echo/{item_id}"].authorizer == "Jwt"  # the DefaultAuthorizer
    assert routes["GET /public/ping"].authorizer is None  # Auth: {Authorizer: NONE}
    worker = template.functions["WorkerFunction"].sqs[0]
    assert (worker.queue, worker.batch_size, worker.report_failures) == ("JobsQueue", 10, True)
    nightly = template.functions["NightlyFunction"].schedules[0]
    assert nightly.input == '{"job": "nightly"}'
    assert template.layer_dirs() == [FIXTURE.parent / "layer"]


def test_parameter_overrides_win_over_defaults() -> None:
    template = parse_template(FIXTURE, {"JwtIssuer": "http://127.0.0.1:1/local-issuer"})
    assert template.parameters["JwtIssuer"] == "http://127.0.0.1:1/local-issuer"
    assert template.parameters["Stage"] == "test"


def test_process_environment_resolves_every_variable() -> None:
    template = parse_template(FIXTURE)
    physical = physical_ids(template, "http://127.0.0.1:5000", {"SecretsKey": "k-1"})
    env = process_environment(template, Resolver(template.parameters, physical))
    assert env["TABLE_NAME"] == "nodeplane-ItemsTable"
    assert env["TABLE_ARN"] == "arn:aws:dynamodb:us-east-1:123456789012:table/nodeplane-ItemsTable"
    assert env["JOBS_QUEUE_URL"] == "http://127.0.0.1:5000/123456789012/nodeplane-JobsQueue"
    assert env["JOBS_QUEUE_NAME"] == "nodeplane-JobsQueue"
    assert env["KMS_KEY_ID"] == "k-1"
    assert env["STAGE_LABEL"] == "us-east-1-test"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(body)
    return path


def test_functions_that_disagree_on_a_variable_fail_at_start(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: a/, Environment: {Variables: {MODE: one}}}
  B:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: b/, Environment: {Variables: {MODE: two}}}
""",
    )
    template = parse_template(path)
    with pytest.raises(TemplateError, match="MODE"):
        process_environment(template, Resolver({}, {}))


def test_an_unsupported_event_type_fails_at_start(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
      Events:
        S3:
          Type: S3
          Properties: {Bucket: x, Events: s3:ObjectCreated:*}
""",
    )
    with pytest.raises(TemplateError, match="S3"):
        parse_template(path)


def test_globals_layers_are_appended_and_maps_merge(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
Globals:
  Function:
    Layers: [g]
    Timeout: 5
    Environment: {Variables: {A: "1", B: "2"}}
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/
      Layers: [f]
      Environment: {Variables: {B: "3"}}
""",
    )
    fn = parse_template(path).functions["F"]
    assert fn.layers == ["g", "f"]
    assert fn.environment == {"A": "1", "B": "3"}
    assert fn.timeout == 5


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert parse_schedule(expression) == ("rate", seconds)


@pytest.mark.parametrize("expression", ["rate(5 minute)", "rate(1 minutes)", "rate(0 minutes)", "every 5 minutes"])
def test_malformed_rates_are_rejected_like_eventbridge(expression: str) -> None:
    with pytest.raises((TemplateError, ValueError)):
        parse_schedule(expression)


def test_the_repository_template_resolves() -> None:
    template_path = ROOT / "template.yaml"
    if not template_path.exists():
        pytest.skip("no template.yaml yet")
    template = parse_template(template_path, {"JwtIssuer": "http://127.0.0.1:3000/local-issuer"})
    keys = {logical: "key-id" for logical in template.keys}
    env = process_environment(
        template, Resolver(template.parameters, physical_ids(template, "http://127.0.0.1:1", keys))
    )
    assert env  # every variable of every function resolved without an unknown intrinsic
    assert template.routes
