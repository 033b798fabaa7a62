"""The ids and keys the sample events under events/ name (scripts/make_events.py writes them), and that
`nodeplane-local seed` creates, so that every sample succeeds on the seeded state."""

from __future__ import annotations

from nodeplane.chain.keys import Keypair

TENANT = "alice"
CREATED = "2026-11-23T06:00:00.000Z"
NODE = "00000000-0000-4000-8000-000000000001"  # a cloud node, AVAILABLE, in no cluster
NODE_IN_CLUSTER = "00000000-0000-4000-8000-000000000002"  # a cloud node in CLUSTER
NODE_SELF_MANAGED = "00000000-0000-4000-8000-000000000003"  # a self-managed node whose discovery FAILED
CLUSTER = "00000000-0000-4000-8000-0000000000c1"
KEY = "00000000-0000-4000-8000-0000000000k1"
OFFER = "off-sample"
REGISTER_TOKEN = "npr_sample"
# node 1's Sui key in the samples: a fixed, public ed25519 seed (ed25519 signatures are deterministic, so the
# events are stable); it is alice's operator key, whose first node is node 1
SAMPLE_NODE_KEY = Keypair("ed25519", bytes(range(32)))
NODE_URL = "https://node.example:3000"
SAMPLE_KEY_B64 = "LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0KQUFBQQotLS0tLUVORCBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0K"

MODEL = "meta-llama/Llama-3.3-70B-Instruct"  # task 1: confidential, node 1 has an encryption key
SAMPLING_MODEL = "demo/sampling-consensus"  # task 2: sampling consensus, stacks 1-3 were bought on it
UNSUBSCRIBED_MODEL = "demo/unsubscribed"  # task 3: no node serves it yet
PRICE = 250  # node 1's price per one million compute units; node 2 asks twice as much
STACK_WITH_USAGE = 1  # usage reported, not claimed
STACK_CLAIMED = 2  # claimed by node 1; node 2 was sampled to attest it
STACK_SETTLED = 3  # attested and out of its dispute window: its funds can be claimed
UNSUBSCRIBED_TASK = 3
