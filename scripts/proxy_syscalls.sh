#!/usr/bin/env bash
# Counts the system calls and context switches of both proxies over one run of the proxy
# bench: starts the bench, attaches `perf stat` to `wakeful proxy` and to the tokio proxy
# (`serve-tokio`) once both listen, and prints each side's counts after the bench's table.
# Divide by the units in the bench's stderr (or by the MiB / requests of its table) for
# per-unit figures; docs/benchmarks.md ("Proxy") has the ones measured.
#
#   bash scripts/proxy_syscalls.sh bulk            # one case, 3 rounds of 3 s (default)
#   bash scripts/proxy_syscalls.sh keep-alive 5 3  # case, rounds, seconds per round
#
# Extra arguments after those three go to the bench (e.g. --tokio-copy-buf 65536).
set -euo pipefail
cd "$(dirname "$0")/.."
case=${1:-bulk} rounds=${2:-3} secs=${3:-3}
shift $(($# < 3 ? $# : 3))
out=$(mktemp -d)
bin=$(cargo bench --bench proxy --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "proxy":
        print(m["executable"])')
"$bin" --bench --only "$case" --rounds "$rounds" --secs "$secs" "$@" >"$out/bench.out" 2>"$out/bench.err" &
bench=$!
for _ in $(seq 1 150); do
  w=$(pgrep -f "release/wakeful proxy" | head -1 || true)
  t=$(pgrep -f "serve-tokio" | head -1 || true)
  [ -n "$w" ] && [ -n "$t" ] && break
  sleep 0.2
done
if [ -z "${w:-}" ] || [ -z "${t:-}" ]; then
  echo "proxies did not start; bench stderr:" >&2
  cat "$out/bench.err" >&2
  exit 1
fi
events=context-switches
for sc in futex write epoll_wait recvfrom sendto writev; do
  events+=",syscalls:sys_enter_$sc"
done
perf stat -e "$events" -p "$w" -o "$out/perf.wakeful" &
p1=$!
perf stat -e "$events" -p "$t" -o "$out/perf.tokio" &
p2=$!
wait "$bench"
kill -INT "$p1" "$p2" 2>/dev/null || true
wait "$p1" "$p2" 2>/dev/null || true
cat "$out/bench.out"
grep -E "(round|units)" "$out/bench.err" || true
for side in wakeful tokio; do
  echo "== $side proxy"
  grep -E "^ +[0-9,]+ " "$out/perf.$side" | awk '{print "  " $1, $2}'
done
rm -rf "$out"
