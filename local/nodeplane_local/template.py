"""Read a SAM template into what the local runtime needs: functions, their events, tables, queues, keys.

Only the subset nodeplane uses is understood; anything else that would change behaviour fails loudly
(an unknown intrinsic, an unknown event type), because silently ignoring it would make local differ from AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "nodeplane"
API_ID = "local"


class TemplateError(Exception):
    """The template uses something the local runtime cannot reproduce faithfully."""


class _Loader(yaml.SafeLoader):
    """A SafeLoader that turns `!Tag value` into the long form, without touching yaml.SafeLoader globally."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        # the short form `!GetAtt A.B.C` splits at the first dot only
        logical, _, attr = value.partition(".")
        return {"Fn::GetAtt": [logical, attr]}
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load_yaml(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=_Loader)
    if not isinstance(data, dict):
        raise TemplateError("the template is not a mapping")
    return data


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str  # upper case, or ANY
    path: str  # /v1/node/{node_id}
    authorizer: str | None  # None: public
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    function: str
    event: str
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int
    report_failures: bool
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSource:
    function: str
    event: str
    expression: str
    input: str | None
    enabled: bool = True


@dataclass
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, Any]  # unresolved: values may hold intrinsics
    layers: list[Any]
    http: list[HttpRoute] = field(default_factory=list)
    sqs: list[SqsSource] = field(default_factory=list)
    schedules: list[ScheduleSource] = field(default_factory=list)

    @property
    def function_name(self) -> str:
        return f"{STACK_NAME}-{self.logical_id}"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: Any  # unresolved
    audience: Any  # unresolved: a string or list


@dataclass
class Template:
    root: Path
    raw: dict[str, Any]
    parameters: dict[str, str]
    functions: dict[str, FunctionSpec]
    tables: dict[str, dict[str, Any]]
    queues: dict[str, dict[str, Any]]
    keys: dict[str, dict[str, Any]]
    aliases: dict[str, dict[str, Any]]
    layers: dict[str, Path]
    authorizers: dict[str, JwtAuthorizer]

    @property
    def routes(self) -> list[HttpRoute]:
        return [route for fn in self.functions.values() for route in fn.http]

    def layer_dirs(self) -> list[Path]:
        return list(self.layers.values())


_HANDLED_RESOURCES = {
    "AWS::Serverless::Function",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::LayerVersion",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
}


def _merge_globals(glob: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (the function wins), Layers lists are appended, scalars are replaced."""
    merged = dict(glob)
    for key, value in props.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge_globals(merged[key], value)
        elif key == "Layers" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


def _auth_of(api: dict[str, Any], event_props: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    auth = event_props.get("Auth") or {}
    name = auth.get("Authorizer", api.get("DefaultAuthorizer"))
    scopes = tuple(auth.get("AuthorizationScopes") or api.get("DefaultAuthorizationScopes") or ())
    if name in (None, "NONE"):
        return None, ()
    return str(name), scopes


def parse_template(path: Path, parameter_overrides: dict[str, str] | None = None) -> Template:
    raw = load_yaml(path.read_text())
    root = path.resolve().parent
    resources: dict[str, Any] = raw.get("Resources") or {}
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in (raw.get("Parameters") or {}).items() if spec is not None
    }
    for name, value in (parameter_overrides or {}).items():
        parameters[name] = value
    glob = ((raw.get("Globals") or {}).get("Function")) or {}

    apis = {k: v for k, v in resources.items() if v.get("Type") == "AWS::Serverless::HttpApi"}
    authorizers: dict[str, JwtAuthorizer] = {}
    api_auth: dict[str, dict[str, Any]] = {}
    for logical, res in apis.items():
        auth = (res.get("Properties") or {}).get("Auth") or {}
        api_auth[logical] = auth
        for name, spec in (auth.get("Authorizers") or {}).items():
            jwt = spec.get("JwtConfiguration")
            if jwt is None:
                raise TemplateError(f"{logical}: authorizer {name} is not a JWT authorizer")
            authorizers[name] = JwtAuthorizer(name, jwt.get("issuer"), jwt.get("audience"))

    layers: dict[str, Path] = {}
    for logical, res in resources.items():
        if res.get("Type") == "AWS::Serverless::LayerVersion":
            layers[logical] = (root / res["Properties"]["ContentUri"]).resolve()

    functions: dict[str, FunctionSpec] = {}
    for logical, res in resources.items():
        rtype = res.get("Type")
        if rtype == "AWS::Serverless::Function":
            functions[logical] = _function(logical, root, _merge_globals(glob, res.get("Properties") or {}), api_auth)

    def of_type(rtype: str) -> dict[str, dict[str, Any]]:
        return {k: dict(v.get("Properties") or {}) for k, v in resources.items() if v.get("Type") == rtype}

    return Template(
        root=root,
        raw=raw,
        parameters=parameters,
        functions=functions,
        tables=of_type("AWS::DynamoDB::Table"),
        queues=of_type("AWS::SQS::Queue"),
        keys=of_type("AWS::KMS::Key"),
        aliases=of_type("AWS::KMS::Alias"),
        layers=layers,
        authorizers=authorizers,
    )


def _function(logical: str, root: Path, props: dict[str, Any], api_auth: dict[str, dict[str, Any]]) -> FunctionSpec:
    if "CodeUri" not in props or not isinstance(props["CodeUri"], str):
        raise TemplateError(f"{logical}: CodeUri must be a local folder")
    spec = FunctionSpec(
        logical_id=logical,
        code_uri=(root / props["CodeUri"]).resolve(),
        handler=str(props.get("Handler", "app.lambda_handler")),
        timeout=int(props.get("Timeout", 3)),
        memory=int(props.get("MemorySize", 128)),
        environment=dict((props.get("Environment") or {}).get("Variables") or {}),
        layers=list(props.get("Layers") or []),
    )
    for event_name, event in (props.get("Events") or {}).items():
        etype = event.get("Type")
        ep = event.get("Properties") or {}
        if etype == "HttpApi":
            api_ref = ep.get("ApiId")
            api_logical = api_ref.get("Ref") if isinstance(api_ref, dict) else None
            if api_logical is None and len(api_auth) == 1:
                api_logical = next(iter(api_auth))  # SAM's implicit API
            api = api_auth.get(api_logical or "", {})
            authorizer, scopes = _auth_of(api, ep)
            method = str(ep.get("Method", "ANY")).upper()
            spec.http.append(HttpRoute(logical, method, str(ep["Path"]), authorizer, scopes))
        elif etype == "SQS":
            queue = ep.get("Queue")
            if not (isinstance(queue, dict) and "Fn::GetAtt" in queue and queue["Fn::GetAtt"][1] == "Arn"):
                raise TemplateError(f"{logical}.{event_name}: Queue must be !GetAtt <Queue>.Arn")
            spec.sqs.append(
                SqsSource(
                    logical,
                    event_name,
                    queue["Fn::GetAtt"][0],
                    int(ep.get("BatchSize", 10)),
                    "ReportBatchItemFailures" in (ep.get("FunctionResponseTypes") or []),
                    bool(ep.get("Enabled", True)),
                )
            )
        elif etype == "Schedule":
            raw_input = ep.get("Input")
            if raw_input is not None and not isinstance(raw_input, str):
                raise TemplateError(f"{logical}.{event_name}: Input must be a JSON string")
            if raw_input is not None:
                json.loads(raw_input)  # fail at start, not at the first tick
            enabled = bool(ep.get("Enabled", True)) and str(ep.get("State", "ENABLED")).upper() != "DISABLED"
            expression = str(ep["Schedule"])
            parse_schedule(expression)  # fail at start on a malformed expression
            spec.schedules.append(ScheduleSource(logical, event_name, expression, raw_input, enabled))
        else:
            raise TemplateError(f"{logical}.{event_name}: event type {etype!r} is not supported locally")
    return spec


# ---- schedule expressions ---------------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_schedule(expression: str) -> tuple[str, Any]:
    """('rate', seconds) or ('cron', CronSpec); EventBridge rejects `rate(1 minutes)`, and so do we."""
    match = _RATE.match(expression.strip())
    if match:
        n, unit = int(match.group(1)), match.group(2)
        if n < 1:
            raise TemplateError(f"{expression}: the rate must be positive")
        singular = unit.rstrip("s")
        if (n == 1) != (unit == singular):
            raise TemplateError(f"{expression}: use the singular unit for 1 and the plural otherwise")
        return "rate", n * _UNIT_SECONDS[singular]
    if expression.strip().startswith("cron(") and expression.strip().endswith(")"):
        from nodeplane_local.cron import CronSpec

        return "cron", CronSpec.parse(expression.strip()[5:-1])
    raise TemplateError(f"{expression}: not a rate(...) or cron(...) expression")


# ---- intrinsics --------------------------------------------------------------------------------------------------


@dataclass
class Physical:
    """What a logical id resolves to: its Ref value and its GetAtt attributes."""

    ref: str
    attrs: dict[str, str] = field(default_factory=dict)


def physical_ids(
    template: Template, moto_url: str, kms_key_ids: dict[str, str], prefix: str = STACK_NAME
) -> dict[str, Physical]:
    """Deterministic physical names, so the DynamoDB data kept on disk is found again after a restart.

    Tables and queues are named `<prefix>-<logical id>` (tests give each run its own prefix).
    """
    out: dict[str, Physical] = {}
    for logical in template.tables:
        name = f"{prefix}-{logical}"
        out[logical] = Physical(name, {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"})
    for logical, props in template.queues.items():
        name = str(props.get("QueueName") or f"{prefix}-{logical}")
        url = f"{moto_url.rstrip('/')}/{ACCOUNT_ID}/{name}"
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        out[logical] = Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
    for logical, key_id in kms_key_ids.items():
        out[logical] = Physical(key_id, {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}", "KeyId": key_id})
    for logical, props in template.aliases.items():
        out[logical] = Physical(str(props["AliasName"]))
    for logical, fn in template.functions.items():
        out[logical] = Physical(fn.function_name, {"Arn": fn.arn})
    for logical in template.layers:
        out[logical] = Physical(f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical}:1")
    for logical, res in (template.raw.get("Resources") or {}).items():
        if res.get("Type") == "AWS::Serverless::HttpApi":
            out[logical] = Physical(API_ID)
    return out


_PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
    "AWS::NoValue": "",
}
_SUB_VAR = re.compile(r"\$\{([^}!]+)\}")


class Resolver:
    """Resolves the intrinsics nodeplane's environment uses; anything else is an error, never a guess."""

    def __init__(self, parameters: dict[str, str], physical: dict[str, Physical]) -> None:
        self.parameters = parameters
        self.physical = physical

    def ref(self, name: str) -> str:
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name].ref
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def get_att(self, logical: str, attr: str) -> str:
        res = self.physical.get(logical)
        if res is None or attr not in res.attrs:
            raise TemplateError(f"!GetAtt {logical}.{attr}: not available locally")
        return res.attrs[attr]

    def _sub_name(self, name: str, extra: dict[str, str]) -> str:
        if name in extra:
            return extra[name]
        if "." in name:
            logical, attr = name.split(".", 1)
            return self.get_att(logical, attr)
        return self.ref(name)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::GetAtt":
                logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(str(logical), str(attr))
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                extra = {k: str(self.resolve(v)) for k, v in extra.items()}
                return _SUB_VAR.sub(lambda m: self._sub_name(m.group(1).strip(), extra), text).replace("${!", "${")
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(self.resolve(i)) for i in self.resolve(items))
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"{key} is not supported by the local runtime")
        return {k: self.resolve(v) for k, v in value.items()}

    def string(self, value: Any, where: str) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, int | float | str):
            return str(resolved)
        raise TemplateError(f"{where}: resolves to {type(resolved).__name__}, not a string")


def process_environment(template: Template, resolver: Resolver) -> dict[str, str]:
    """One environment for every function: handlers share this process, so two functions may not disagree."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for fn in template.functions.values():
        for name, value in fn.environment.items():
            resolved = resolver.string(value, f"{fn.logical_id}.Environment.{name}")
            if name in merged and merged[name] != resolved:
                raise TemplateError(
                    f"environment variable {name} differs between {owner[name]} ({merged[name]!r}) and "
                    f"{fn.logical_id} ({resolved!r}); functions share one process locally, so give it one value"
                )
            merged[name] = resolved
            owner.setdefault(name, fn.logical_id)
    return merged
