"""Cold start of every HTTP handler: import plus first invoke, against modules that import only boto3.

Two baselines, each a fresh interpreter like the handler, run alternately with it so machine noise hits all:
- same work: replay_handler.py makes, with boto3, exactly the AWS calls the handler's invoke made (recorded on a
  separate run), so the ratio is what nodeplane's layers (Powertools, pydantic, the domain code) add on top of the
  AWS work any implementation of that request does. Target: at most 1.5x.
- one GetItem: baseline_handler.py, the same single read for every handler (a fixed yardstick; handlers whose
  request needs two AWS services or several calls pay for them here).
Each figure is the fastest of N runs: on a shared machine noise only ever adds time (two identical boto3 programs
differ by up to 40% in their medians here), so the minimum is the stable estimate of a program's own cost; the
ratio of medians is printed beside it. Sources are compiled first (see common.compile_sources).
Usage: python bench/bench_cold_start.py [--runs N] [--only a,b]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import ROOT, cold_run, compile_sources, function_environment, median, moto_backend


def seed() -> None:
    """Give the sample events real data to find (tenant alice, the ids in scripts/make_events.py)."""
    from nodeplane import store
    from nodeplane.network import projection
    from nodeplane.pool import keys, offers
    from scripts.make_events import CLUSTER, NODE, SAMPLE_NODE_KEY

    offers.refresh()
    created = "2026-11-23T06:00:00.000Z"
    store.transact(
        [
            store.put(
                {
                    "pk": keys.tenant_pk("alice"),
                    "sk": keys.node_sk(NODE),
                    "entity": "node",
                    "tenant": "alice",
                    "id": NODE,
                    "node_type": "CLOUD",
                    "hostname": "sample",
                    "node_status": "AVAILABLE",
                    "price_per_hour": 1.0,
                    "provider": "aws",
                    "region": "us-east-1",
                    "instance_type": "g5.xlarge",
                    "created_at": created,
                    "gsi1pk": keys.nodes_index_pk("alice"),
                    "gsi1sk": f"C#{created}#{NODE}",
                    "gsi2pk": keys.nodes_index_pk("alice"),
                    "gsi2sk": f"H#sample#{NODE}",
                }
            )
        ]
    )
    store.transact(
        [
            store.put(
                {
                    "pk": keys.tenant_pk("alice"),
                    "sk": keys.cluster_sk(CLUSTER),
                    "entity": "cluster",
                    "id": CLUSTER,
                    "tenant": "alice",
                    "name": "train",
                    "cluster_status": "PENDING",
                    "created_at": created,
                    "nodes": {},
                    "version": 0,
                    "gsi1pk": keys.clusters_index_pk("alice"),
                    "gsi1sk": f"C#{created}#{CLUSTER}",
                }
            )
        ]
    )
    # network node 1, projected from its registration event: the sample signatures are its key's
    projection.apply(
        {
            "id": {"txDigest": "bench-register-node-1", "eventSeq": "0"},
            "type": "0x0::db::NodeRegisteredEvent",
            "sender": SAMPLE_NODE_KEY.address,
            "parsedJson": {"node_small_id": {"inner": "1"}, "badge_id": "0x" + "b1" * 32},
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    names = sorted(p.parent.name for p in (ROOT / "events").glob("*/request.json"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    compile_sources()
    with moto_backend() as base_env, tempfile.TemporaryDirectory() as scratch:
        seed()
        getitem = ROOT / "bench" / "baseline_handler.py"
        replay = ROOT / "bench" / "replay_handler.py"
        print(
            f"{'function':<28} {'handler ms':>10} {'same work ms':>12} {'ratio':>6} {'median':>6} "
            f"{'GetItem ms':>10} {'ratio':>6} {'calls':>5} {'status':>6}"
        )
        worst_same, worst_median, worst_getitem = 0.0, 0.0, 0.0
        all_same: list[float] = []
        for name in names:
            event = ROOT / "events" / name / "request.json"
            handler = ROOT / "functions" / name / "app.py"
            calls = Path(scratch) / f"{name}.json"
            env = {**base_env, **function_environment(name)}  # as Lambda runs it (the baselines ignore it)
            cold_run(handler, event, env)  # the first request may create what later ones find (steady state)
            run = cold_run(handler, event, env, record=calls)
            replay_env = {**env, "REPLAY_CALLS": str(calls)}
            handler_ms, same_ms, getitem_ms = [], [], []
            for _ in range(args.runs):
                handler_ms.append(cold_run(handler, event, env)["total_ms"])
                same_ms.append(cold_run(replay, event, replay_env)["total_ms"])
                getitem_ms.append(cold_run(getitem, event, env)["total_ms"])
            same = min(handler_ms) / min(same_ms)
            same_median = median(handler_ms) / median(same_ms)
            fixed = min(handler_ms) / min(getitem_ms)
            worst_same, worst_median = max(worst_same, same), max(worst_median, same_median)
            all_same.append(same)
            worst_getitem = max(worst_getitem, fixed)
            n_calls = len(json.loads(calls.read_text()))
            print(
                f"{name:<28} {min(handler_ms):>10.0f} {min(same_ms):>12.0f} {same:>5.2f}x {same_median:>5.2f}x "
                f"{min(getitem_ms):>10.0f} {fixed:>5.2f}x {n_calls:>5} {run['status']:>6}",
                flush=True,
            )
        blank = ""
        print(f"{'worst':<28} {blank:>23} {worst_same:>5.2f}x {worst_median:>5.2f}x {blank:>10} {worst_getitem:>5.2f}x")
        within = sum(r <= 1.5 for r in all_same)
        print(f"handlers: {len(all_same)}, median ratio {median(all_same):.2f}x, at most 1.50x: {within}")
        print("target: at most 1.50x against the same work (fastest of each)")


if __name__ == "__main__":
    main()
