"""template.yaml watches every function and dead-letter queue it declares (scripts/make_observability.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import make_observability as gen  # noqa: E402


def test_generated_alarms_and_dashboard_are_current() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_observability.py"), "--check"], capture_output=True
    )
    assert out.returncode == 0, out.stderr.decode()


def test_a_new_function_and_queue_get_their_alarms_and_dashboard_lines() -> None:
    text = (ROOT / "template.yaml").read_text()
    extra = """
  PurchaseDlq:
    Type: AWS::SQS::Queue
  PurchaseQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt PurchaseDlq.Arn, maxReceiveCount: 5}
  PurchaseSweeperFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/purchase_sweeper/}
"""
    text = text.replace(gen.BEGIN, extra + gen.BEGIN)
    resources = gen.load(gen.regenerate(text))["Resources"]
    for logical in (
        "PurchaseDlqMessagesAlarm",
        "PurchaseSweeperFunctionErrorsAlarm",
        "PurchaseSweeperFunctionThrottlesAlarm",
    ):
        assert resources[logical]["Type"] == "AWS::CloudWatch::Alarm"
    assert "PurchaseQueueMessagesAlarm" not in resources  # only dead-letter queues alarm on any message
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert "${PurchaseDlq.QueueName}" in body
    assert "${AWS::StackName}-PurchaseSweeperFunction-errors" in body
