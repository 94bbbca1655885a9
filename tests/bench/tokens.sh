#!/usr/bin/env bash
# Usage: tests/bench/tokens.sh target/release/mi-sim
# IMDS token throughput at 16 connections, beside its floors in the same run:
#  - cached tokens (same identity and audience) vs the bare program's keyed select
#    (../shared/bench/ceiling, built by ../shared/bench/compare.sh into $CARGO_TARGET_DIR);
#  - freshly signed tokens (a new audience per request) vs `openssl speed rsa2048` signs/s,
#    on one core and on both (-multi 2).
set -euo pipefail
bin=$1; secs=${SECS:-5}
here=$(cd "$(dirname "$0")" && pwd)
bench=$here/../../../shared/bench
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/mi-sim-bench-target}
(cd "$bench/ceiling" && cargo build --release -q)
work=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf $work' EXIT
"$CARGO_TARGET_DIR/release/ceiling" 19391 "$work/c.db" >/dev/null 2>&1 & pids+=($!)
$bin serve --port 19390 --tls-port 0 --db "$work/t.db" >/dev/null 2>&1 & pids+=($!)
base=http://127.0.0.1:19390; sub=/subscriptions/22222222-2222-4222-8222-222222222222
until curl -s -o /dev/null "$base/"; do sleep 0.01; done
until curl -s -o /dev/null -X PUT "http://127.0.0.1:19391/identities/fixed"; do sleep 0.01; done
curl -s -o /dev/null -X PUT -d '{"location":"westeurope"}' "$base$sub/resourceGroups/bench?api-version=2021-04-01"
vm=$(curl -s -X PUT -d '{"location":"westeurope","identity":{"type":"SystemAssigned"}}' \
  "$base$sub/resourceGroups/bench/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"]["vmId"])')
token="/instances/$vm/metadata/identity/oauth2/token?api-version=2018-02-01"
curl -s -o /dev/null -H 'Metadata: true' "$base$token&resource=https%3A%2F%2Fmanagement.azure.com%2F"
rps() { awk '/Requests\/sec/ {print $2}'; }
select=$(wrk -t2 -c16 -d${secs}s "http://127.0.0.1:19391/identities/fixed" | rps)
cached=$(wrk -t2 -c16 -d${secs}s -H 'Metadata: true' "$base$token&resource=https%3A%2F%2Fmanagement.azure.com%2F" | rps)
fresh=$(TOKEN_PATH=$token wrk -t2 -c16 -d${secs}s -s "$here/fresh_token.lua" "$base" | rps)
signs1=$(openssl speed -seconds $secs rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')
signs=$(openssl speed -seconds $secs -multi 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-34s %10s %10s %6s\n' figure floor mi-sim ratio
printf '%-34s %10.0f %10.0f %6s\n' "cached IMDS token vs keyed select" "$select" "$cached" "$(ratio "$cached" "$select")"
printf '%-34s %10.0f %10.0f %6s\n' "fresh token vs openssl sign, 1 core" "$signs1" "$fresh" "$(ratio "$fresh" "$signs1")"
printf '%-34s %10.0f %10.0f %6s\n' "fresh token vs openssl sign, 2 cores" "$signs" "$fresh" "$(ratio "$fresh" "$signs")"
