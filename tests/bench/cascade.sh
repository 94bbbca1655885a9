#!/usr/bin/env bash
# Usage: tests/bench/cascade.sh target/release/mi-sim [N]
# Fills one resource group with N resources (default 10,000: 40% user-assigned identities,
# 30% VMs with a system identity and a user-assigned reference, 30% container groups with a
# system identity), then times the DELETE of the group: one transaction, set-based statements.
set -euo pipefail
bin=$1; n=${2:-10000}; dir=$(mktemp -d); port=19190
$bin serve --port $port --tls-port 0 --db $dir/c.db >/dev/null 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $dir' EXIT
base="http://127.0.0.1:$port/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/big"
until curl -s -o /dev/null "$base?api-version=2021-04-01"; do sleep 0.01; done
source "$(dirname "$0")/seed.sh"
seed_group "$base" "$n"
total=$(curl -s "http://127.0.0.1:$port/simulator/tenants/11111111-1111-4111-8111-111111111111/servicePrincipals" | { grep -o '"objectId"' || true; } | wc -l)
echo "group holds $n resources; $total service principals"
t0=$(date +%s%N)
curl -s -o /dev/null -w 'DELETE group: HTTP %{http_code}, ' -XDELETE "$base?api-version=2021-04-01"
t1=$(date +%s%N); echo "$(( (t1 - t0) / 1000000 )) ms"
left=$(curl -s "http://127.0.0.1:$port/simulator/tenants/11111111-1111-4111-8111-111111111111/servicePrincipals" | { grep -o '"objectId"' || true; } | wc -l)
echo "service principals left: $left"
