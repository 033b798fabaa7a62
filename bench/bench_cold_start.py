"""Cold start of every HTTP handler: import plus first invoke, against a boto3-only handler doing one GetItem.

Each case runs in a fresh interpreter; the handler and the baseline alternate so machine noise hits both.
Two ratios: wall time, and CPU time of the Lambda process. The CPU ratio leaves out the time spent waiting
on the emulated backend (moto answers a 150-item query far slower than DynamoDB), so it is the fair one for
handlers whose first request reads more than the baseline's single item. Target: at most 1.5x.
Usage: python bench/bench_cold_start.py [--runs N] [--only name,...]
"""

from __future__ import annotations

import argparse

from common import ROOT, cold_run, median, moto_backend


def seed() -> None:
    """Give the sample events real data to find (tenant alice, the ids in scripts/make_events.py)."""
    from nodeplane import store
    from nodeplane.pool import keys, offers
    from scripts.make_events import CLUSTER, NODE

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    names = sorted(p.parent.name for p in (ROOT / "events").glob("*/request.json"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    with moto_backend() as env:
        seed()
        baseline_path = ROOT / "bench" / "baseline_handler.py"
        print(
            f"{'function':<22} {'handler ms':>10} {'boto3-only ms':>13} {'wall':>6} "
            f"{'cpu ms':>7} {'base cpu':>8} {'cpu':>6}"
        )
        ratios, cpu_ratios = [], []
        for name in names:
            event = ROOT / "events" / name / "request.json"
            handler_ms, base_ms, handler_cpu, base_cpu = [], [], [], []
            cold_run(ROOT / "functions" / name / "app.py", event, env)  # warm the bytecode cache
            for _ in range(args.runs):
                run = cold_run(ROOT / "functions" / name / "app.py", event, env)
                base = cold_run(baseline_path, event, env)
                handler_ms.append(run["total_ms"])
                handler_cpu.append(run["cpu_ms"])
                base_ms.append(base["total_ms"])
                base_cpu.append(base["cpu_ms"])
            ratio = median(handler_ms) / median(base_ms)
            cpu_ratio = median(handler_cpu) / median(base_cpu)
            ratios.append(ratio)
            cpu_ratios.append(cpu_ratio)
            print(
                f"{name:<22} {median(handler_ms):>10.0f} {median(base_ms):>13.0f} {ratio:>5.2f}x "
                f"{median(handler_cpu):>7.0f} {median(base_cpu):>8.0f} {cpu_ratio:>5.2f}x"
            )
        print(
            f"{'worst':<22} {'':>10} {'':>13} {max(ratios):>5.2f}x {'':>7} {'':>8} {max(cpu_ratios):>5.2f}x"
            "  (target <= 1.50x)"
        )


if __name__ == "__main__":
    main()
