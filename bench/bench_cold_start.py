"""Cold start of every HTTP handler: import plus first invoke, against modules that import only boto3.

Two baselines, each a fresh interpreter like the handler, run alternately with it so machine noise hits all:
- same work: replay_handler.py makes, with boto3, exactly the AWS calls the handler's invoke made (recorded on a
  separate run), so the ratio is what nodeplane's layers (Powertools, pydantic, the domain code) add on top of the
  AWS work any implementation of that request does. Target: at most 1.5x.
- one GetItem: baseline_handler.py, the same single read for every handler (a fixed yardstick; handlers whose
  request needs two AWS services or several calls pay for them here).
Each handler and its baselines run N times, interleaved (in turn forwards and backwards). Three ratios against the
same work are printed, because this machine's speed drifts in phases lasting seconds (two identical boto3 programs
differ by up to 40% in their medians): "paired", the median over runs of the handler's time over the replay's
right next to it, which cancels the phase both ran in (the target is judged on it); "fastest", fastest over fastest
(a lucky phase on one side only skews it); "medians", median over median. Sources are compiled first
(see common.compile_sources).
Every sample event runs against bench/world.py's state, on which it succeeds (the status column), and each run
starts from the same state: what the previous run wrote is put back first.
With --sui-rpc every function talks to a Sui GraphQL stand-in instead of the ledger in process (the handlers
that submit transactions then pay for the RPC path: its imports and its HTTP calls), and each run starts from a
full restore, since the stand-in's writes are not among the handler's recorded calls.
Usage: python bench/bench_cold_start.py [--runs N] [--only a,b] [--sui-rpc]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from pathlib import Path

import world
from common import ROOT, cold_run, compile_sources, function_environment, median, moto_backend, sui_rpc_stand_in


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="")
    parser.add_argument("--sui-rpc", action="store_true", help="every function against a Sui GraphQL stand-in")
    args = parser.parse_args()
    names = sorted(p.parent.name for p in (ROOT / "events").glob("*/request.json"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    compile_sources()
    with moto_backend() as base_env, tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        if args.sui_rpc:
            base_env = base_env | stack.enter_context(sui_rpc_stand_in())
        world.build()
        base = world.Snapshot()
        getitem = ROOT / "bench" / "baseline_handler.py"
        replay = ROOT / "bench" / "replay_handler.py"
        print(
            f"{'function':<28} {'handler ms':>10} {'same work ms':>12} {'paired':>7} {'fastest':>7} {'medians':>7} "
            f"{'GetItem ms':>10} {'ratio':>6} {'calls':>5} {'status':>6}"
        )
        ratios: dict[str, list[float]] = {"paired": [], "fastest": [], "medians": [], "getitem": []}
        statuses: list[int] = []
        for name in names:
            event = ROOT / "events" / name / "request.json"
            handler = ROOT / "functions" / name / "app.py"
            calls = Path(scratch) / f"{name}.json"
            env = {**base_env, **function_environment(name)}  # as Lambda runs it (the baselines ignore it)
            world.prepare(name, base)
            state = base  # what each run starts from
            cold_run(handler, event, env)  # warms the file cache; its writes are undone next
            state.restore()
            run = cold_run(handler, event, env, record=calls)
            recorded = json.loads(calls.read_text())
            replay_env = {**env, "REPLAY_CALLS": str(calls)}
            drifted = 0  # measured runs that answered otherwise than the recorded one (a state not restored)
            sides = [("handler", handler, env), ("same", replay, replay_env), ("getitem", getitem, env)]
            ms: dict[str, list[float]] = {side: [] for side, _, _ in sides}
            for i in range(args.runs):  # in turn forwards and backwards, so no side always follows another
                for side, module, side_env in sides if i % 2 == 0 else sides[::-1]:
                    if side != "getitem" and args.sui_rpc:
                        state.restore()  # the stand-in's ledger writes are not among the recorded calls
                    elif side != "getitem":
                        state.restore_written(recorded)  # from the state the recorded run started from
                    result = cold_run(module, event, side_env)
                    ms[side].append(result["total_ms"])
                    drifted += side == "handler" and result["status"] != run["status"]
            handler_ms, same_ms, getitem_ms = ms["handler"], ms["same"], ms["getitem"]
            statuses.append(run["status"] if not drifted else 0)
            row = {
                "paired": median([h / r for h, r in zip(handler_ms, same_ms, strict=True)]),
                "fastest": min(handler_ms) / min(same_ms),
                "medians": median(handler_ms) / median(same_ms),
                "getitem": min(handler_ms) / min(getitem_ms),
            }
            for key, value in row.items():
                ratios[key].append(value)
            print(
                f"{name:<28} {min(handler_ms):>10.0f} {min(same_ms):>12.0f} {row['paired']:>6.2f}x "
                f"{row['fastest']:>6.2f}x {row['medians']:>6.2f}x {min(getitem_ms):>10.0f} {row['getitem']:>5.2f}x "
                f"{len(recorded):>5} {run['status']:>5}{'!' if drifted else ' '}",
                flush=True,
            )
        worst = {key: max(values) for key, values in ratios.items()}
        print(
            f"{'worst':<28} {'':>23} {worst['paired']:>6.2f}x {worst['fastest']:>6.2f}x {worst['medians']:>6.2f}x "
            f"{'':>10} {worst['getitem']:>5.2f}x"
        )
        succeeded = sum(200 <= s < 300 for s in statuses)  # on every run (! marks a handler whose answer changed)
        within = {key: sum(r <= 1.5 for r in values) for key, values in ratios.items()}
        print(f"handlers: {len(statuses)}, {succeeded} answered 2xx on every run")
        print(
            f"median handler: {median(ratios['paired']):.2f}x paired, {median(ratios['fastest']):.2f}x fastest, "
            f"{median(ratios['medians']):.2f}x medians"
        )
        print(
            f"target, at most 1.50x against the same work: {within['paired']} of {len(statuses)} handlers paired "
            f"({within['fastest']} fastest, {within['medians']} medians)"
        )


if __name__ == "__main__":
    main()
