"""DynamoDB calls made by one node address registration (POST /proxy/v1/nodes), with 10 and with 5,000 network
nodes registered, measured in one run. Target: a small constant."""

from __future__ import annotations

from common import moto_backend

from nodeplane_local.harness.lambda_events import http_event, invoke


def main() -> None:
    from nodeplane import store
    from nodeplane.chain.keys import Keypair
    from nodeplane.chain.signatures import registration_digest
    from nodeplane.network import items

    with moto_backend():
        counts = {}
        registered = 0
        for size in (10, 5000):
            key = Keypair.generate("secp256k1")
            client, table = store.dynamodb(), store.dynamo.settings().table_name
            batch = []
            for n in range(registered + 1, size + 1):
                address = key.address if n == size else "0x" + f"{n:064x}"
                batch.append(
                    {
                        "PutRequest": {
                            "Item": store.dynamo.serialize(
                                {"pk": items.node_pk(n), "sk": "NODE", "node_small_id": n, "sui_address": address}
                            )
                        }
                    }
                )
                if len(batch) == 25:
                    client.batch_write_item(RequestItems={table: batch})
                    batch = []
            if batch:
                client.batch_write_item(RequestItems={table: batch})
            registered = size
            calls: list[str] = []

            def record(model: object, calls: list[str] = calls, **_: object) -> None:
                calls.append(model.name)  # type: ignore[attr-defined]

            client.meta.events.register("after-call.dynamodb", record)
            url = f"https://node-{size}.example:3000"
            body = {
                "data": {"country": "PT", "node_small_id": size, "public_address": url},
                "signature": key.sign_hashed(registration_digest(size, url, "PT")),
            }
            reply = invoke("proxy_register_node", http_event("POST", "/proxy/v1/nodes", body=body, tenant=None))
            assert reply.status == 200, reply.body
            counts[size] = list(calls)
            client.meta.events.unregister("after-call.dynamodb", record)
        for size, calls in counts.items():
            print(f"{size:>6} nodes: {len(calls)} DynamoDB calls ({', '.join(calls)})")
        print("same at both sizes:", "yes" if len(counts[10]) == len(counts[5000]) else "NO")


if __name__ == "__main__":
    main()
