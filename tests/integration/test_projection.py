"""Chain events projected into DynamoDB: every kind nodeplane reads, and re-reading changes nothing."""

from __future__ import annotations

from nodeplane import store
from nodeplane.network import chain_events, items
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.network import chain_event


def seed_market(model: str = "llama") -> None:
    chain_events.apply(
        [
            chain_event(
                "TaskRegisteredEvent",
                {
                    "task_id": "0x" + "22" * 32,
                    "task_small_id": {"inner": "1"},
                    "role": {"inner": 0},
                    "model_name": model,
                    "security_level": {"inner": 1},
                    "minimum_reputation_score": None,
                },
                tx="T",
            )
        ]
    )
    for node, price in ((1, 300), (2, 100), (3, 200)):
        chain_events.apply(
            [
                chain_event(
                    "NodeRegisteredEvent",
                    {"badge_id": f"0xbadge{node}", "node_small_id": {"inner": str(node)}},
                    tx=f"R{node}",
                    sender="0x" + f"{node:02d}" * 32,
                )
            ]
        )
        chain_events.apply(
            [
                chain_event(
                    "NodeSubscribedToTaskEvent",
                    {
                        "task_small_id": {"inner": "1"},
                        "node_small_id": {"inner": str(node)},
                        "price_per_one_million_compute_units": str(price),
                        "max_num_compute_units": "1000000",
                    },
                    tx=f"S{node}",
                )
            ]
        )


def test_projection_builds_the_market_and_is_idempotent(moto_env):
    seed_market()
    node = store.get(items.node_pk(2), "NODE")
    assert node["sui_address"] == "0x" + "02" * 32 and node["badge_id"] == "0xbadge2"
    subs, _ = store.query("gsi1pk", items.subs_index_pk(1), sk_name="gsi1sk", index="gsi1")
    assert [s["node_small_id"] for s in subs] == [2, 3, 1]  # cheapest first
    # replaying every event changes nothing
    again = chain_event(
        "NodeSubscribedToTaskEvent",
        {
            "task_small_id": {"inner": "1"},
            "node_small_id": {"inner": "2"},
            "price_per_one_million_compute_units": "999",
            "max_num_compute_units": "1000000",
        },
        tx="S2",
    )
    assert chain_events.apply([again]) == 0
    assert store.get(items.node_pk(2), items.sub_sk(1))["price_per_one_million_compute_units"] == 100


def test_updates_unsubscribe_deprecation_and_keys(moto_env):
    seed_market()
    chain_events.apply(
        [
            chain_event(
                "NodeSubscriptionUpdatedEvent",
                {
                    "task_small_id": {"inner": "1"},
                    "node_small_id": {"inner": "1"},
                    "price_per_one_million_compute_units": "50",
                    "max_num_compute_units": "1000000",
                },
                tx="U1",
            )
        ]
    )
    chain_events.apply(
        [
            chain_event(
                "NodeUnsubscribedFromTaskEvent",
                {"task_small_id": {"inner": "1"}, "node_small_id": {"inner": "3"}},
                tx="X3",
            )
        ]
    )
    subs, _ = store.query("gsi1pk", items.subs_index_pk(1), sk_name="gsi1sk", index="gsi1")
    assert [s["node_small_id"] for s in subs] == [1, 2]
    chain_events.apply(
        [chain_event("NewKeyRotationEvent", {"key_rotation_counter": "1", "epoch": "5", "nonce": "9"}, tx="K")]
    )
    chain_events.apply(
        [
            chain_event(
                "NodePublicKeyCommittmentEvent",
                {
                    "epoch": "5",
                    "key_rotation_counter": "1",
                    "node_id": {"inner": "2"},
                    "new_public_key": list(range(32)),
                    "device_type": 300,
                    "evidence_bytes": [1, 2],
                },
                tx="P2",
            )
        ]
    )
    node = store.get(items.node_pk(2), "NODE")
    assert node["key_rotation_counter"] == 1 and node["key_valid"] is True and len(node["public_key"]) == 44
    assert store.get(items.KEYROT, "CURRENT")["key_rotation_counter"] == 1
    chain_events.apply(
        [chain_event("TaskDeprecationEvent", {"task_id": "0x", "task_small_id": {"inner": "1"}, "epoch": "6"}, tx="D")]
    )
    subs, _ = store.query("gsi1pk", items.subs_index_pk(1), sk_name="gsi1sk", index="gsi1")
    assert subs == []
    assert store.get(items.task_pk(1), "TASK")["is_deprecated"] is True
    assert store.get(items.model_pk("llama"), "TASK#000000000001")["is_deprecated"] is True


def test_poller_keeps_a_cursor(moto_env):
    events = [
        chain_event(
            "TaskRegisteredEvent",
            {
                "task_id": "0x1",
                "task_small_id": {"inner": str(i)},
                "role": 0,
                "model_name": f"m{i}",
                "security_level": 1,
            },
            tx=f"T{i}",
        )
        for i in range(1, 8)
    ]
    chain = FakeChain(log=events)
    assert chain_events.poll(chain, page_size=3) == {"seen": 7, "applied": 7}
    assert chain_events.cursor() == "7"
    assert chain_events.poll(chain, page_size=3) == {"seen": 0, "applied": 0}
    chain.log.append(
        chain_event(
            "TaskRegisteredEvent",
            {"task_id": "0x9", "task_small_id": "9", "role": 0, "model_name": "m9", "security_level": 0},
            tx="T9",
        )
    )
    assert chain_events.poll(chain) == {"seen": 1, "applied": 1}
