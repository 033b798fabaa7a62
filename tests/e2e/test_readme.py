"""The README's ```bash blocks, run as written and in order against a fresh `make run`, as a newcomer would run them
(```sh blocks are the ones that cannot run here: `make run` and `make test` themselves, and `seed`, which wants a
fresh state; tests/e2e/test_seed.py runs that one).

The README speaks of http://127.0.0.1:3000 and of the repository's own files (`.nodeplane/`, `make -s token`), so
the blocks run in a network namespace of their own (port 3000 there is nobody else's) and in a scratch copy of the
checkout made of links (a fresh `.nodeplane/`, the same virtualenvs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("readme")]

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)

HARNESS = """
ip link set lo up
make run > run.log 2>&1 &
RUN=$!
# make's child is the runtime: SIGTERM stops it in order (HTTP, workers, DynamoDB Local, moto)
trap 'rc=$?; set +x; kill -TERM $(pgrep -P $RUN) 2>/dev/null; wait $RUN 2>/dev/null; exit $rc' EXIT
for _ in $(seq 1200); do
  curl -sf http://127.0.0.1:3000/local/health > /dev/null && break
  kill -0 $RUN 2>/dev/null || { cat run.log; exit 90; }
  sleep 0.5
done
set -euo pipefail
set -x
"""


def readme_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def scratch_checkout(folder: Path) -> Path:
    for entry in ROOT.iterdir():
        if entry.name not in (".nodeplane", ".git", ".pytest_cache"):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_the_readme_has_runnable_blocks_with_json_bodies_declared() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 4
    for block in blocks:
        for command in re.findall(r"curl [^\n]*(?:\\\n[^\n]*)*", block):
            if " -d " in command:
                assert "Content-Type: application/json" in command, command


def test_the_readme_blocks_run_as_written_on_a_fresh_runtime(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2) for a network namespace of its own")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("this user may not make a network namespace (the README test runs as root, like CI)")
    for venv in (".venv-atoma", ".venv-exls"):
        assert (ROOT / venv).exists(), f"{venv} is missing: `make test` creates it"
    (tmp_path / "checkout").mkdir()
    work = scratch_checkout(tmp_path / "checkout")
    home = tmp_path / "home"
    home.mkdir()
    script = work / "readme.sh"
    script.write_text(HARNESS + "\n".join(readme_blocks()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NODEPLANE_", "EXLS_", "PYTHON_KEYRING", "AWS_"))}
    env |= {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CONFIG_HOME": str(home / ".config")}
    out = subprocess.run(
        ["unshare", "-n", "bash", str(script)], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-6000:]
    # what each block shows a reader
    assert '"offers"' in out.stdout
    assert "imported nodes " in out.stdout and "cluster " in out.stdout
    assert "exls-" not in out.stderr and "No nodes found" not in out.stdout  # the pool script's nodes are listed
    assert "Registered node 1 " in out.stdout and "subscribed to task 1: tx " in out.stdout
    assert "locked node 1 on stack " in out.stdout
    assert '"public_key"' in out.stdout
