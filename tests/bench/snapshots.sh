#!/usr/bin/env bash
# Usage: tests/bench/snapshots.sh target/release/mi-sim [N]
# Fills one resource group with N resources (default 10,000, as cascade.sh does), then times
# saving a snapshot of the whole state (VACUUM INTO) and restoring it over HTTP, three times.
set -euo pipefail
bin=$1; n=${2:-10000}; dir=$(mktemp -d); port=19192
$bin serve --port $port --tls-port 0 --db $dir/s.db >/dev/null 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $dir' EXIT
sim="http://127.0.0.1:$port/simulator"
base="http://127.0.0.1:$port/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/big"
until curl -s -o /dev/null "$base?api-version=2021-04-01"; do sleep 0.01; done
source "$(dirname "$0")/seed.sh"
seed_group "$base" "$n"
ms() { echo $(( ($2 - $1) / 1000000 )); }
for i in 1 2 3; do
  t0=$(date +%s%N)
  curl -sf -o /dev/null -XPOST "$sim/snapshots" -H 'content-type: application/json' -d "{\"name\":\"b$i\"}"
  t1=$(date +%s%N)
  curl -sf -o /dev/null -XPOST "$sim/snapshots/b$i/restore"
  t2=$(date +%s%N)
  size=$(curl -s "$sim/snapshots" | grep -o "\"name\":\"b$i\",\"bytes\":[0-9]*" | grep -o '[0-9]*$')
  echo "run $i: save $(ms $t0 $t1) ms, restore $(ms $t1 $t2) ms ($n resources, $((size / 1024)) KiB)"
done
# The state is whole after a restore: every resource still answers.
count=$(curl -s "$base/resources?api-version=2021-04-01&\$top=1000" | grep -o '"id"' | wc -l)
echo "resources listed after restores (first page): $count"
