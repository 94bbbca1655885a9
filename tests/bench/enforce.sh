#!/usr/bin/env bash
# Usage: tests/bench/enforce.sh target/release/mi-sim
# What the enforce mode's checks cost: the same two figures from a mi-sim in --auth open and
# one in --auth enforce, in one run, with wrk (16 connections), as the bootstrapped
# application holding 100 role assignments (Owner on the subscription, Reader on 99 groups):
#   1. list a group of 1,000 identities (GET .../resources?$top=1000);
#   2. create identities (PUT, a new name each request).
# Prints each figure's median of ROUNDS runs (default 3, SECS 5 s each) and enforce/open, and,
# when ../shared/bench/compare.sh has built the bare program, its create rate beside them.
set -euo pipefail
bin=$1; rounds=${ROUNDS:-3} secs=${SECS:-5}; here=$(cd "$(dirname "$0")" && pwd)
lua=$here/../../../shared/bench/put_unique.lua
[[ -f $lua ]] || lua=$(mktemp --suffix=.lua)
[[ -s $lua ]] || cat > "$lua" <<'LUA'
local counter = 0
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args)
  prefix = os.getenv("PATH_PREFIX"); suffix = os.getenv("PATH_SUFFIX") or ""; body = os.getenv("BODY") or ""
  wrk.headers["Content-Type"] = "application/json"
end
function request() counter = counter + 1; return wrk.format("PUT", prefix .. "id-" .. tid .. "-" .. counter .. suffix, nil, body) end
LUA
dir=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; rm -rf $dir' EXIT
sub=22222222-2222-4222-8222-222222222222; tenant=11111111-1111-4111-8111-111111111111
rps() { awk '/Requests\/sec/ {print $2}'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A port
for mode in open enforce; do
  p=$((19300 + ${#pids[@]} * 2))
  $bin serve --auth $mode --port $p --tls-port $((p + 1)) --db $dir/$mode.db >/dev/null 2>&1 & pids+=($!)
  port[$mode]=$p
  until curl -s -o /dev/null "http://127.0.0.1:$p/simulator/settings"; do sleep 0.01; done
done
# Each instance's own token for the application, so both verify a real signature.
token_of() { curl -s -X POST "http://127.0.0.1:$1/$tenant/oauth2/v2.0/token" \
  -d grant_type=client_credentials -d client_id=44444444-4444-4444-8444-444444444444 \
  -d client_secret=mi-sim~well-known-client-secret -d scope=https://management.azure.com/.default \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
declare -A tokens
for mode in open enforce; do
  tokens[$mode]=$(token_of ${port[$mode]}); token=${tokens[$mode]}
  arm="http://127.0.0.1:${port[$mode]}/subscriptions/$sub/resourceGroups"
  put() { curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$2" "$1"; }
  export -f put; export token
  put "$arm/big?api-version=2021-04-01" '{"location":"westeurope"}' >/dev/null
  put "$arm/writes?api-version=2021-04-01" '{"location":"westeurope"}' >/dev/null
  seq 1 1000 | xargs -P 16 -I{} bash -c "put '$arm/big/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{}?api-version=2023-01-31' '{\"location\":\"westeurope\"}'" | sort | uniq -c | sed "s/^/$mode identities: /"
  role="/subscriptions/$sub/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
  for g in $(seq 1 99); do
    put "$arm/g$g?api-version=2021-04-01" '{"location":"westeurope"}' >/dev/null
    put "$arm/g$g/providers/Microsoft.Authorization/roleAssignments/$(cat /proc/sys/kernel/random/uuid)?api-version=2022-04-01" \
      "{\"properties\":{\"roleDefinitionId\":\"$role\",\"principalId\":\"55555555-5555-4555-8555-555555555555\",\"principalType\":\"ServicePrincipal\"}}"
  done | sort | uniq -c | sed "s/^/$mode assignments: /"
done
ceiling=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/mi-sim-bench-target}/release/ceiling
if [[ -x $ceiling ]]; then
  cport=19320
  "$ceiling" $cport $dir/ceiling.db >/dev/null 2>&1 & pids+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$cport/identities/x"; do sleep 0.01; done
fi
declare -A runs
for r in $(seq "$rounds"); do
  if [[ -x $ceiling ]]; then
    runs[put_bare]+=" $(PATH_PREFIX=/identities/r$r- PATH_SUFFIX= BODY= wrk -t2 -c16 -d${secs}s -s "$lua" "http://127.0.0.1:$cport" | rps)"
  fi
  for mode in open enforce; do
    token=${tokens[$mode]}
    base="http://127.0.0.1:${port[$mode]}/subscriptions/$sub/resourceGroups/big"
    runs[list_$mode]+=" $(wrk -t2 -c16 -d${secs}s -H "Authorization: Bearer $token" "$base/resources?api-version=2021-04-01&\$top=1000" | rps)"
    runs[put_$mode]+=" $(PATH_PREFIX="/subscriptions/$sub/resourceGroups/writes/providers/Microsoft.ManagedIdentity/userAssignedIdentities/r$r-" \
      PATH_SUFFIX='?api-version=2023-01-31' BODY='{"location":"westeurope"}' \
      wrk -t2 -c16 -d${secs}s -H "Authorization: Bearer $token" -s "$lua" "http://127.0.0.1:${port[$mode]}" | rps)"
  done
done
printf '%-36s %10s %10s %8s\n' figure open enforce ratio
for f in list put; do
  o=$(echo "${runs[${f}_open]}" | median) e=$(echo "${runs[${f}_enforce]}" | median)
  name=$([[ $f == list ]] && echo "list 1,000 identities (req/s)" || echo "create an identity (req/s)")
  printf '%-36s %10.0f %10.0f %8s\n' "$name" "$o" "$e" "$(awk -v a="$e" -v b="$o" 'BEGIN { printf "%.2f", a / b }')"
done
if [[ -x $ceiling ]]; then
  b=$(echo "${runs[put_bare]}" | median) e=$(echo "${runs[put_enforce]}" | median)
  printf '%-36s %10.0f %10.0f %8s\n' "create: bare program, enforce" "$b" "$e" "$(awk -v a="$e" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
fi
echo "rounds=$rounds secs=$secs; raw: ${runs[list_open]} |${runs[list_enforce]} |${runs[put_open]} |${runs[put_enforce]}"
