#!/usr/bin/env bash
# A node operator with the nodeplane CLI: import a key, register a node, publish its confidential-compute key,
# subscribe it to a task, then look at subscriptions and claimed stacks.
#
#   NODEPLANE_URL=http://127.0.0.1:3000 NODEPLANE_TOKEN=$(make -s token TENANT=operator) examples/operator.sh TASK [KEY_FILE]
#
# With a Sui CLI keystore, import by alias instead: nodeplane operator keys import my-alias
set -euo pipefail
TASK=${1:?usage: operator.sh TASK [X25519_PRIVATE_KEY_FILE]}
KEY_FILE=${2:-./node.x25519}
NODEPLANE=${NODEPLANE:-nodeplane}

"$NODEPLANE" operator tasks list
"$NODEPLANE" operator keys import --generate          # prints the new key once: keep it
NODE=$("$NODEPLANE" operator nodes register --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["node_small_id"])')
echo "registered node $NODE"
"$NODEPLANE" operator nodes publish-key "$NODE" "$KEY_FILE"
"$NODEPLANE" operator subscribe "$TASK" --price 100 --node "$NODE"
"$NODEPLANE" operator subscriptions
"$NODEPLANE" operator stacks claimed
