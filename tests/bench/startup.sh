#!/usr/bin/env bash
# Usage: tests/bench/startup.sh target/release/mi-sim
# Time from exec to the first answered ARM request, fresh database and restart.
bin=$1; dir=$(mktemp -d)
for run in fresh restart; do
  t0=$(date +%s%N)
  $bin serve --port 19090 --tls-port 19453 --db $dir/s.db >/dev/null 2>&1 & pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:19090/subscriptions?api-version=2022-12-01"; do sleep 0.002; done
  t1=$(date +%s%N); echo "$run: first request answered $(( (t1-t0)/1000000 )) ms after start"
  kill $pid; wait $pid 2>/dev/null
done
rm -rf $dir
