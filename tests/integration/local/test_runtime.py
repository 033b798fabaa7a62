"""The local runtime end to end on a fixture template: HTTP routing and auth, SQS, schedules, docs, restarts."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.runtime import LocalRuntime

FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"

pytestmark = [pytest.mark.e2e, pytest.mark.dynamodb_local, pytest.mark.xdist_group("local-runtime")]


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    # rate(1 minute) fires every second at 60x
    with LocalRuntime(data_dir=tmp_path_factory.mktemp("runtime"), template=FIXTURE, schedule_speedup=60) as runtime:
        yield runtime


def auth(rt: LocalRuntime, tenant: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {rt.token(tenant)}"}


def eventually(rt: LocalRuntime, check: Callable[[], Any], attempts: int = 1500) -> Any:
    """Poll until check() returns something truthy; fails at once if the runtime dies, and after a bounded number
    of polls rather than hanging the suite (no wall-clock assertion)."""
    for _ in range(attempts):
        assert rt.process is not None and rt.process.poll() is None, rt.log()[-3000:]
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never happened in {attempts} polls; the runtime's log ends: {rt.log()[-3000:]}")


def item(rt: LocalRuntime, pk: str) -> dict[str, Any] | None:
    table = rt.info()["env"]["TABLE_NAME"]
    found: dict[str, Any] | None = rt.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")
    return found


def test_a_route_without_a_token_is_401_and_the_handler_never_runs(rt: LocalRuntime) -> None:
    response = requests.get(f"{rt.base_url}/echo/x")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Basic YWxpY2U6c2VjcmV0",
    ],
)
def test_a_malformed_token_is_401(rt: LocalRuntime, header: str) -> None:
    assert requests.get(f"{rt.base_url}/echo/x", headers={"Authorization": header}).status_code == 401


def test_an_expired_token_another_audience_or_issuer_is_401_saying_which(rt: LocalRuntime) -> None:
    expired = rt.token("alice", exp=int(time.time()) - 10)
    other_aud = rt.token("alice", aud="someone-else")
    other_port = rt.token("alice", iss="http://127.0.0.1:1/local-issuer")
    for token, reason in (
        (expired, "the token expired at "),
        (other_aud, "the token's audience 'someone-else' is none of this API's"),
        (other_port, "the token's issuer is 'http://127.0.0.1:1/local-issuer', this API accepts"),
    ):
        response = requests.get(f"{rt.base_url}/echo/x", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["message"].startswith(f"Unauthorized: {reason}")
        assert reason in response.headers["www-authenticate"]
        assert reason in rt.log()  # and the runtime's log says it too


def test_path_query_claims_and_cookies_reach_the_handler(rt: LocalRuntime) -> None:
    response = requests.get(
        f"{rt.base_url}/echo/n-1?q=hello&tag=a&tag=b",
        headers=auth(rt, "alice") | {"Cookie": "c1=v1; c2=v2", "X-Custom": "yes"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["item_id"] == "n-1"
    assert body["path_parameters"] == {"item_id": "n-1"}
    assert body["q"] == "hello"
    assert body["query"] == {"q": "hello", "tag": "a,b"}  # HTTP API joins repeated query parameters with commas
    assert body["tag"] == ["a", "b"]
    assert body["raw_query"] == "q=hello&tag=a&tag=b"
    assert body["route_key"] == "GET /echo/{item_id}"
    assert body["claims"]["sub"] == "alice"
    assert isinstance(body["claims"]["exp"], str)  # every claim is a string, as API Gateway passes them
    assert body["cookies"] == ["c1=v1", "c2=v2"]
    assert body["headers"]["x-custom"] == "yes"
    assert "cookie" not in body["headers"]
    assert body["stage_label"] == "us-east-1-test"  # !Sub with a pseudo parameter and a template parameter
    assert response.headers["apigw-requestid"]


def test_a_public_route_needs_no_token_and_gets_no_authorizer(rt: LocalRuntime) -> None:
    response = requests.get(f"{rt.base_url}/public/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True, "authorizer": False}


def test_an_unknown_route_is_404_like_api_gateway(rt: LocalRuntime) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/echo/x")):
        response = requests.request(method, f"{rt.base_url}{path}", headers=auth(rt))
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


def test_a_handler_exception_is_a_bare_500_and_a_logged_traceback(rt: LocalRuntime) -> None:
    response = requests.post(f"{rt.base_url}/boom", headers=auth(rt))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert "RuntimeError: boom" in rt.log()


def test_a_body_over_10_mb_is_413(rt: LocalRuntime) -> None:
    response = requests.put(f"{rt.base_url}/items/big", data=b"x" * (10 * 1024 * 1024 + 1), headers=auth(rt))
    assert response.status_code == 413


def test_requests_run_concurrently(rt: LocalRuntime) -> None:
    from concurrent.futures import ThreadPoolExecutor

    headers = auth(rt)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: requests.get(f"{rt.base_url}/echo/{i}", headers=headers), range(32)))
    assert [r.json()["item_id"] for r in statuses] == [str(i) for i in range(32)]


def test_sqs_partial_batch_failure_redelivers_only_the_failed_message(rt: LocalRuntime) -> None:
    sqs = rt.client("sqs")
    env = rt.info()["env"]
    for job in ({"id": "ok-1"}, {"id": "ok-2"}, {"id": "bad", "fail": True}):
        sqs.send_message(QueueUrl=env["JOBS_QUEUE_URL"], MessageBody=json.dumps(job))

    def bad_in_dlq() -> bool:
        dlq_url = sqs.get_queue_url(QueueName=env["JOBS_QUEUE_NAME"].replace("JobsQueue", "JobsDlq"))["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"]) == 1

    eventually(rt, bad_in_dlq)
    bad = item(rt, "job#bad")
    assert bad is not None and bad["deliveries"]["N"] == "2"  # maxReceiveCount 2, then the DLQ
    for ok in ("ok-1", "ok-2"):
        done = item(rt, f"job#{ok}")
        assert done is not None and done["deliveries"]["N"] == "1"  # deleted after the first batch
    attrs = sqs.get_queue_attributes(QueueUrl=env["JOBS_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_the_drain_hook_processes_what_is_waiting(rt: LocalRuntime) -> None:
    response = requests.post(f"{rt.base_url}/local/queues/WorkerFunction/drain")
    assert response.status_code == 200
    assert response.json()["function"] == "WorkerFunction"


def test_a_rate_schedule_fires_with_the_scheduled_event_envelope(rt: LocalRuntime) -> None:
    fired = eventually(rt, lambda: (i := item(rt, "tick#nodeplane-TickFunction")) and int(i["fired"]["N"]) >= 2 and i)
    event = json.loads(fired["last_event"]["S"])
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/nodeplane-TickFunction-EveryMinute")


def test_a_schedule_fires_on_demand_with_its_input(rt: LocalRuntime) -> None:
    response = requests.post(f"{rt.base_url}/local/schedules/NightlyFunction")
    assert response.status_code == 200, response.text
    assert response.json()["result"]["function"] == "nodeplane-NightlyFunction"
    nightly = item(rt, "tick#nodeplane-NightlyFunction")
    assert nightly is not None and json.loads(nightly["last_event"]["S"]) == {"job": "nightly"}


def test_openapi_merges_every_http_function_and_docs_are_served_locally(rt: LocalRuntime) -> None:
    doc = requests.get(f"{rt.base_url}/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert {"/echo/{item_id}", "/public/ping", "/items/{item_id}"} <= set(doc["paths"])
    assert set(doc["paths"]["/items/{item_id}"]) == {"get", "put"}
    assert doc["paths"]["/public/ping"]["get"]["security"] == []
    assert doc["paths"]["/echo/{item_id}"]["get"]["security"] == [{"bearerAuth": []}]
    page = requests.get(f"{rt.base_url}/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text and "cdn" not in page.text.lower()
    bundle = requests.get(f"{rt.base_url}/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_the_issuer_publishes_its_keys(rt: LocalRuntime) -> None:
    conf = requests.get(f"{rt.base_url}/local-issuer/.well-known/openid-configuration").json()
    assert conf["issuer"] == f"{rt.base_url}/local-issuer"
    jwks = requests.get(conf["jwks_uri"]).json()
    assert jwks["keys"][0]["kty"] == "RSA"


def test_data_and_encrypted_secrets_survive_a_restart(tmp_path: Path) -> None:
    runtime = LocalRuntime(data_dir=tmp_path, template=FIXTURE)
    try:
        runtime.start()
        token = runtime.token("bob")
        headers = {"Authorization": f"Bearer {token}"}
        put = requests.put(f"{runtime.base_url}/items/keep", json={"value": "s3cret"}, headers=headers)
        assert put.status_code == 200, put.text
        dynamodb_port = int(runtime.info()["dynamodb_endpoint"].rsplit(":", 1)[1])
        runtime.stop()
        assert not (tmp_path / "runtime.json").exists()
        with pytest.raises(ConnectionRefusedError):  # the JVM went with the runtime: no orphan java
            socket.create_connection(("127.0.0.1", dynamodb_port)).close()
        runtime.start()
        # a token printed before the restart is still accepted: the issuer key is kept too
        got = requests.get(f"{runtime.base_url}/items/keep", headers=headers)
        assert got.status_code == 200, got.text + runtime.log()[-3000:]
        assert got.json() == {"item_id": "keep", "tenant": "bob", "value": "s3cret"}
    finally:
        runtime.cleanup()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nodeplane_local", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=FIXTURE.parent,
    )


def test_token_command_prints_only_a_token_the_gateway_accepts(rt: LocalRuntime) -> None:
    result = cli("token", "--tenant", "carol", "--data-dir", str(rt.data_dir))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.count(".") == 2
    response = requests.get(f"{rt.base_url}/echo/t", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["claims"]["sub"] == "carol"


def test_invoke_and_admin_use_the_running_runtimes_engines(rt: LocalRuntime, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"job": "by-invoke"}))
    result = cli(
        "invoke",
        "nodeplane-NightlyFunction",
        "--event",
        str(event),
        "--data-dir",
        str(rt.data_dir),
        "--template",
        str(FIXTURE),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["function"] == "nodeplane-NightlyFunction"
    start, end, report = [line for line in result.stderr.splitlines() if line.startswith(("START", "END", "REPORT"))]
    request_id = start.split()[2]  # START RequestId: <id> Version: $LATEST, as `sam local invoke` prints
    assert end == f"END RequestId: {request_id}" and report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "Max Memory Used: " in report and "Memory Size: " in report
    # the invocation wrote into the running runtime's DynamoDB Local, not into engines of its own
    written = item(rt, "tick#nodeplane-NightlyFunction")
    assert written is not None and json.loads(written["last_event"]["S"]) == {"job": "by-invoke"}

    env = cli("admin", "--data-dir", str(rt.data_dir), "env", "--json")
    assert env.returncode == 0, env.stderr
    assert json.loads(env.stdout) == rt.info()["env"]


def test_invoke_with_a_missing_event_file_says_so_in_one_line(tmp_path: Path) -> None:
    result = cli("invoke", "TickFunction", "--event", str(tmp_path / "nope.json"), "--data-dir", str(tmp_path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"nodeplane-local: no event file {tmp_path / 'nope.json'} (the samples are under events/<function>/)"
    ]


def test_admin_without_a_running_runtime_says_how_to_start_one(tmp_path: Path) -> None:
    result = cli("admin", "--data-dir", str(tmp_path), "env")
    assert result.returncode == 2
    assert "make run" in result.stderr


def test_invoke_without_a_runtime_starts_and_stops_its_own_engines(tmp_path: Path) -> None:
    result = cli("invoke", "TickFunction", "--data-dir", str(tmp_path), "--template", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ok": True,
        "function": "nodeplane-TickFunction",
        "table": "nodeplane-ItemsTable",
    }
    assert not (tmp_path / "runtime.json").exists()


def test_an_edited_function_answers_with_its_new_code_without_a_restart(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture"
    shutil.copytree(FIXTURE.parent, fixture)
    app = fixture / "functions" / "echo" / "app.py"
    with LocalRuntime(data_dir=tmp_path / "data", template=fixture / "template.yaml") as runtime:
        assert requests.get(f"{runtime.base_url}/public/ping").json()["pong"] is True
        source = app.read_text().replace('return {"pong": True', 'return {"pong": "edited"')

        def edited() -> bool:
            if requests.get(f"{runtime.base_url}/public/ping").json()["pong"] == "edited":
                return True
            # the watcher sets itself up in its own thread: an edit made before it watches is never seen, so the
            # edit is made again until one is
            app.write_text(source)
            return False

        eventually(runtime, edited)
        assert "reloaded EchoFunction" in runtime.log()
