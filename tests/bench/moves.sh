#!/usr/bin/env bash
# Usage: tests/bench/moves.sh target/release/mi-sim [N]
# Fills a group with N resources (default 10,000, mixed as seed.sh says), then times
#   1. moving all of them to another group: ARM takes at most 800 ids per request, so
#      ceil(N/800) moveResources requests, sent at once by one curl (--parallel), so that the
#      figure is the server's and not the start of a dozen client processes;
#   2. transferring the subscription, which by then holds N/2.5 user-assigned identities and
#      every principal, to another tenant: one request.
set -euo pipefail
bin=$1; n=${2:-10000}; dir=$(mktemp -d); port=19191
$bin serve --port $port --tls-port 0 --db $dir/m.db >/dev/null 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $dir' EXIT
arm="http://127.0.0.1:$port"; sub=22222222-2222-4222-8222-222222222222
base="$arm/subscriptions/$sub/resourceGroups/big"
until curl -s -o /dev/null "$base?api-version=2021-04-01"; do sleep 0.01; done
source "$(dirname "$0")/seed.sh"
seed_group "$base" "$n"
curl -s -o /dev/null -XPUT "$arm/subscriptions/$sub/resourceGroups/dest?api-version=2021-04-01" -d '{"location":"westeurope"}'
# Lists a group's resource ids, following nextLink.
ids_of() {
  python3 - "$1/resources?api-version=2021-04-01&\$top=1000" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
while url:
    page = json.load(urllib.request.urlopen(url))
    for r in page["value"]:
        print(r["id"])
    url = page.get("nextLink")
PY
}
# The ids of everything in the group, 800 to a request body.
ids_of "$base" > $dir/ids.txt
python3 - "$dir" "$sub" <<'PY'
import json, sys
d, sub = sys.argv[1], sys.argv[2]
ids = open(f"{d}/ids.txt").read().split()
for i in range(0, len(ids), 800):
    json.dump({"resources": ids[i:i + 800], "targetResourceGroup": f"/subscriptions/{sub}/resourceGroups/dest"},
              open(f"{d}/move-{i // 800:03}.json", "w"))
print(f"{len(ids)} resources listed")
PY
bodies=$(ls $dir/move-*.json | wc -l)
requests=()
for f in $dir/move-*.json; do
  requests+=(--next -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
    --data-binary "@$f" "$base/moveResources?api-version=2021-04-01")
done
t0=$(date +%s%N)
curl --no-progress-meter --parallel --parallel-immediate --parallel-max "${PARALLEL:-$bodies}" \
  "${requests[@]:1}" | sort | uniq -c
t1=$(date +%s%N)
echo "move $n resources in $bodies requests: $(( (t1 - t0) / 1000000 )) ms"
moved=$(ids_of "$arm/subscriptions/$sub/resourceGroups/dest" | wc -l)
echo "resources in the target group: $moved"
tenant=$(curl -s -XPOST "$arm/simulator/tenants" -H 'content-type: application/json' -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenantId"])')
t0=$(date +%s%N)
curl -s -o /dev/null -w 'transfer: HTTP %{http_code}, ' -XPOST -H 'content-type: application/json' \
  -d "{\"targetTenantId\": \"$tenant\"}" "$arm/simulator/subscriptions/$sub/transfer"
t1=$(date +%s%N); echo "$(( (t1 - t0) / 1000000 )) ms"
