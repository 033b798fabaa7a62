"""AWS clients, made from one botocore session per container.

botocore directly, not boto3: nothing here uses boto3's resource layer or its transfer manager, and importing
them is a measurable part of a cold start (bench/bench_cold_start.py). Endpoints, region and credentials
come from the environment as with boto3 (``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, ...).

The session reads botocore's data files through a loader that knows which services nodeplane calls. botocore's
own loader lists its whole data directory (about 400 service folders, each listed and stat-ed) before it loads
the first service model, and parses every file into OrderedDicts through a Python hook; together that is about
half of creating the first clients of a cold start. Same files, same models (tests/unit/test_aws.py).
"""

import json
import os
import threading
from typing import Any, Final

import botocore.loaders
import botocore.session

SERVICES: Final = ("dynamodb", "kms", "sqs")  # every service nodeplane's code calls

_lock = threading.Lock()
_session: botocore.session.Session | None = None


class _JSONFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's data files, parsed into plain dicts (ordered since Python 3.7) by the C decoder."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read())


class _Loader(botocore.loaders.Loader):
    """botocore's loader for the services in ``SERVICES``: any other is unknown, without listing the data folder."""

    def list_available_services(self, type_name: str) -> list[str]:
        return sorted(SERVICES)


def client(service: str) -> Any:
    """A new low-level client for ``service``; callers keep it (clients are thread-safe, sessions are not)."""
    global _session
    with _lock:
        if _session is None:
            session = botocore.session.get_session()
            # the search path botocore's own loader would use (AWS_DATA_PATH first, then its defaults)
            paths = botocore.loaders.create_loader(session.get_config_variable("data_path")).search_paths
            loader = _Loader(
                extra_search_paths=list(paths), include_default_search_paths=False, file_loader=_JSONFileLoader()
            )
            session.register_component("data_loader", loader)
            _session = session
        return _session.create_client(service)


def reset() -> None:
    """Forget the session, so the next client reads the environment again (tests switch endpoints)."""
    global _session
    with _lock:
        _session = None
