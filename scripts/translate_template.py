"""Print template.yaml as plain CloudFormation (JSON), translated offline by the SAM translator the SAM CLI uses.

Runs in .venv-sam (`make deps`), where aws-sam-translator 1.115.0 lives with the pydantic it pins. Local code
folders (CodeUri, ContentUri) become ``s3://BUCKET/<folder>.zip``, as `sam package` would name uploaded
artifacts; managed-policy names resolve from the translator's bundled map, so no AWS access is needed.
Usage: .venv-sam/bin/python scripts/translate_template.py [--template template.yaml] [--bucket artifacts]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


def translate(template_text: str, bucket: str, region: str = "us-east-1") -> dict:
    template = yaml_parse(template_text)
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://{bucket}/{props[key].strip('/')}.zip"
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name=region),
    )
    return translator.translate(
        sam_template=template,
        parameter_values={},
        get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws") or {},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default=str(Path(__file__).resolve().parents[1] / "template.yaml"))
    parser.add_argument("--bucket", default="artifacts")
    args = parser.parse_args()
    json.dump(translate(Path(args.template).read_text(), args.bucket), sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
