#!/usr/bin/env bash
# Usage: tests/bench/deployments.sh target/release/mi-sim [N] [ROUNDS]
# Deploys a template of N user-assigned identities (default 1,000) into a fresh group, ROUNDS
# times (default 3), and prints the time from the PUT to the deployment's Succeeded. ARM caps
# one copy loop at 800, so the identities come from two loops of N/2.
set -euo pipefail
bin=$1; n=${2:-1000}; rounds=${3:-3}; dir=$(mktemp -d); port=19191
$bin serve --port $port --tls-port 0 --db $dir/d.db >/dev/null 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $dir' EXIT
sub="http://127.0.0.1:$port/subscriptions/22222222-2222-4222-8222-222222222222"
until curl -s -o /dev/null "$sub?api-version=2022-12-01"; do sleep 0.01; done
half=$((n / 2))
loop() { # name prefix
  printf '{"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
    "name": "[concat('"'"'%s'"'"', copyIndex())]", "location": "[resourceGroup().location]",
    "copy": {"name": "%s", "count": %d}}' "$1" "$1" "$half"
}
body="{\"properties\": {\"mode\": \"Incremental\", \"template\": {\"resources\": [$(loop id-a), $(loop id-b)]}}}"
for r in $(seq 1 "$rounds"); do
  group="$sub/resourceGroups/deploy$r"
  curl -s -o /dev/null -XPUT -H 'Content-Type: application/json' -d '{"location": "westeurope"}' "$group?api-version=2021-04-01"
  t0=$(date +%s%N)
  curl -s -o /dev/null -XPUT -H 'Content-Type: application/json' -d "$body" \
    "$group/providers/Microsoft.Resources/deployments/many?api-version=2024-03-01"
  while :; do
    state=$(curl -s "$group/providers/Microsoft.Resources/deployments/many?api-version=2024-03-01" | jq -r .properties.provisioningState)
    case $state in Accepted|Running) sleep 0.005 ;; *) break ;; esac
  done
  t1=$(date +%s%N)
  made=$(curl -s "http://127.0.0.1:$port/simulator/tenants/11111111-1111-4111-8111-111111111111/servicePrincipals" \
    | jq '[.value[] | select(.kind != "Application")] | length')
  echo "round $r: $state in $(( (t1 - t0) / 1000000 )) ms; $made identity principals in the tenant"
done
